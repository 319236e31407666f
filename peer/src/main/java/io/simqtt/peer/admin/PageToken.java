package io.simqtt.peer.admin;

import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Where a page of clients ended: the last (client id, node id) returned. Opaque to callers (base64)
 * so its form can change; a page holds what sorts after it, so sessions that come and go between
 * pages neither repeat nor shift the rest.
 */
record PageToken(String clientId, String nodeId) {

  /** Null for "" (the first page); INVALID_ARGUMENT for anything not made by {@link #encode}. */
  static PageToken parse(String token) {
    if (token.isEmpty()) {
      return null;
    }
    try {
      String s = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
      int nl = s.indexOf('\n');
      if (nl < 0) {
        throw new IllegalArgumentException();
      }
      return new PageToken(s.substring(0, nl), s.substring(nl + 1));
    } catch (IllegalArgumentException e) {
      throw Status.INVALID_ARGUMENT.withDescription("page_token '" + token
          + "' is not a next_page_token from an earlier page").asRuntimeException();
    }
  }

  String encode() {
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString((clientId + "\n" + nodeId).getBytes(StandardCharsets.UTF_8));
  }

  /** Whether (clientId, nodeId) sorts after this token. */
  boolean isBefore(String otherClient, String otherNode) {
    int c = clientId.compareTo(otherClient);
    return c < 0 || c == 0 && nodeId.compareTo(otherNode) < 0;
  }
}

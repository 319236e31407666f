package io.simqtt.peer;

import io.simqtt.proto.peer.Hello;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Proof of the cluster secret in a Hello: an HMAC-SHA256 over the Hello's fields, so the secret
 * itself never crosses the wire. It authenticates peers; it does not encrypt the link.
 */
final class HelloProof {
  private final SecretKeySpec key;

  HelloProof(String secret) {
    // A node without peers may have no secret (the config allows ""), and a JCE key cannot be
    // empty: such a node proves nothing and accepts no proof.
    this.key =
        secret.isEmpty()
            ? null
            : new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
  }

  byte[] sign(Hello h) {
    if (key == null) {
      return new byte[0];
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      String fields =
          String.join(
              "\n",
              h.getClusterName(),
              h.getNodeId(),
              Long.toUnsignedString(h.getIncarnation()),
              Integer.toString(h.getProtocolVersion()),
              h.getTargetNodeId());
      return mac.doFinal(fields.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  boolean verify(Hello h) {
    return key != null && MessageDigest.isEqual(sign(h), h.getProof().toByteArray());
  }
}

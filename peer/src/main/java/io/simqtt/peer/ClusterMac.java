package io.simqtt.peer;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 under the cluster secret: the one way nodes prove to each other that they belong to
 * the cluster (peer Hello, node-to-node admin calls) without the secret crossing the wire.
 */
public final class ClusterMac {
  private final SecretKeySpec key;

  public ClusterMac(String secret) {
    // A node without peers may have no secret (the config allows ""), and a JCE key cannot be
    // empty: such a node proves nothing and accepts no proof.
    this.key = secret.isEmpty()
        ? null
        : new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
  }

  /** The MAC of the fields joined by newlines (none of them may contain one). */
  public byte[] sign(String... fields) {
    if (key == null) {
      return new byte[0];
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac.doFinal(String.join("\n", fields).getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  /** Constant-time comparison, so a forger learns nothing from timing. */
  public boolean verify(byte[] mac, String... fields) {
    return key != null && MessageDigest.isEqual(sign(fields), mac);
  }
}

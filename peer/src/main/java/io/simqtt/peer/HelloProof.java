package io.simqtt.peer;

import io.simqtt.proto.peer.Hello;
import io.simqtt.proto.peer.HelloAccepted;
import java.util.Base64;

/**
 * Proof of the cluster secret in the handshake, both ways: the dialer's Hello proves it over the
 * receiver's fresh challenge, and the receiver's HelloAccepted over the Hello's own challenge. An
 * HMAC-SHA256, so the secret never crosses the wire; the challenges make every proof good for
 * one stream only, so a recorded handshake cannot be replayed. It authenticates peers; it does
 * not encrypt the link.
 */
final class HelloProof {
  private final ClusterMac mac;

  HelloProof(String secret) {
    this.mac = new ClusterMac(secret);
  }

  byte[] sign(Hello h, byte[] challenge) {
    return mac.sign(fields(h, challenge));
  }

  boolean verify(Hello h, byte[] challenge) {
    return mac.verify(h.getProof().toByteArray(), fields(h, challenge));
  }

  byte[] sign(HelloAccepted a, byte[] challenge) {
    return mac.sign(fields(a, challenge));
  }

  boolean verify(HelloAccepted a, byte[] challenge) {
    return mac.verify(a.getProof().toByteArray(), fields(a, challenge));
  }

  private static String[] fields(Hello h, byte[] challenge) {
    return new String[] {
      "hello",
      h.getClusterName(),
      h.getNodeId(),
      Long.toUnsignedString(h.getIncarnation()),
      Integer.toString(h.getProtocolVersion()),
      h.getTargetNodeId(),
      base64(h.getChallenge().toByteArray()),
      base64(challenge)
    };
  }

  private static String[] fields(HelloAccepted a, byte[] challenge) {
    return new String[] {
      "accepted",
      a.getNodeId(),
      Long.toUnsignedString(a.getIncarnation()),
      Boolean.toString(a.getSessionsKept()),
      base64(challenge)
    };
  }

  private static String base64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }
}

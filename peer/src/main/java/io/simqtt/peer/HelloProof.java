package io.simqtt.peer;

import io.simqtt.proto.peer.Hello;

/**
 * Proof of the cluster secret in a Hello: an HMAC-SHA256 over the Hello's fields, so the secret
 * itself never crosses the wire. It authenticates peers; it does not encrypt the link.
 */
final class HelloProof {
  private final ClusterMac mac;

  HelloProof(String secret) {
    this.mac = new ClusterMac(secret);
  }

  byte[] sign(Hello h) {
    return mac.sign(fields(h));
  }

  boolean verify(Hello h) {
    return mac.verify(h.getProof().toByteArray(), fields(h));
  }

  private static String[] fields(Hello h) {
    return new String[] {
      h.getClusterName(),
      h.getNodeId(),
      Long.toUnsignedString(h.getIncarnation()),
      Integer.toString(h.getProtocolVersion()),
      h.getTargetNodeId()
    };
  }
}

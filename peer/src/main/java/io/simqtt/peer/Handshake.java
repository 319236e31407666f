package io.simqtt.peer;

import com.google.protobuf.ByteString;
import io.simqtt.proto.peer.EarlierForwards;
import io.simqtt.proto.peer.Hello;
import io.simqtt.proto.peer.HelloAccepted;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * This node's identity on peer links and the checks of a peer's: the Hello a link opens with,
 * the answer to a peer's Hello, and why a Hello is refused. Both sides prove the cluster secret
 * over the other's fresh challenge (see {@link HelloProof}).
 */
final class Handshake {
  /** 2: challenge-based Hello, state and route snapshots in parts, redirects, heartbeats. */
  static final int PROTOCOL_VERSION = 2;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String clusterName;
  private final String nodeId;
  private final long incarnation = RANDOM.nextLong();
  private final Set<String> peerIds;
  private final HelloProof proof;

  Handshake(String clusterName, String nodeId, Set<String> peerIds, String secret) {
    this.clusterName = clusterName;
    this.nodeId = nodeId;
    this.peerIds = Set.copyOf(peerIds);
    this.proof = new HelloProof(secret);
  }

  String nodeId() {
    return nodeId;
  }

  /** Random per start: a new one tells peers this node restarted with empty memory. */
  long incarnation() {
    return incarnation;
  }

  static byte[] newChallenge() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return b;
  }

  /**
   * Our Hello to {@code target}, proving the secret over its {@code nonce}; {@code earlier}: the
   * highest forward number re-sent of each earlier incarnation of this node.
   */
  Hello hello(String target, ByteString nonce, byte[] ownChallenge, long resendThrough,
      Map<Long, Long> earlier) {
    List<EarlierForwards> resent = new ArrayList<>();
    earlier.forEach((incarnation, through) -> resent.add(
        EarlierForwards.newBuilder().setIncarnation(incarnation).setResendThrough(through)
            .build()));
    Hello unsigned =
        Hello.newBuilder()
            .setClusterName(clusterName)
            .setNodeId(nodeId)
            .setIncarnation(incarnation)
            .setProtocolVersion(PROTOCOL_VERSION)
            .setTargetNodeId(target)
            .setChallenge(ByteString.copyFrom(ownChallenge))
            .setResendThrough(resendThrough)
            .addAllEarlier(resent)
            .build();
    byte[] signature = proof.sign(unsigned, nonce.toByteArray());
    return unsigned.toBuilder().setProof(ByteString.copyFrom(signature)).build();
  }

  /**
   * Our acceptance of a Hello, proving the secret over the Hello's own challenge; {@code
   * sessionsKept}: this node keeps its sessions in a store, so a restart does not lose them.
   */
  HelloAccepted accepted(byte[] helloChallenge, boolean sessionsKept) {
    HelloAccepted unsigned =
        HelloAccepted.newBuilder()
            .setNodeId(nodeId)
            .setIncarnation(incarnation)
            .setSessionsKept(sessionsKept)
            .build();
    byte[] signature = proof.sign(unsigned, helloChallenge);
    return unsigned.toBuilder().setProof(ByteString.copyFrom(signature)).build();
  }

  boolean verifyAccepted(HelloAccepted a, byte[] ownChallenge) {
    return proof.verify(a, ownChallenge);
  }

  /** Why a Hello is refused, or null to accept it; {@code challenge} is what we sent it. */
  String checkHello(Hello h, byte[] challenge) {
    if (!clusterName.equals(h.getClusterName())) {
      return "cluster name '" + h.getClusterName() + "' is not '" + clusterName + "'";
    }
    if (h.getProtocolVersion() != PROTOCOL_VERSION) {
      return "protocol version " + h.getProtocolVersion() + " (this node speaks "
          + PROTOCOL_VERSION + ")";
    }
    if (!peerIds.contains(h.getNodeId())) {
      return "node id '" + h.getNodeId() + "' is not in this node's peer list";
    }
    if (!nodeId.equals(h.getTargetNodeId())) {
      return "the link is meant for '" + h.getTargetNodeId() + "'";
    }
    if (!proof.verify(h, challenge)) {
      return "wrong cluster secret, or a replayed Hello";
    }
    return null;
  }
}

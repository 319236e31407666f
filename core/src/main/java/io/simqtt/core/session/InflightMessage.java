package io.simqtt.core.session;

/**
 * An outbound QoS 1/2 publish the client has not finished acknowledging.
 *
 * @param released for QoS 2: PUBREC arrived and PUBREL was sent, PUBCOMP is awaited
 * @param seq its entry in the session's {@link SessionStore} (0 when the session is not stored).
 *     Kept here rather than beside the map because in-flight messages are bounded by the client's
 *     window: the 8 bytes each costs in memory mode too (32 bytes an object instead of 24) are
 *     bounded by Receive Maximum, unlike the queue's, which is why {@link DeliveryQueue} keeps its
 *     sequence numbers only once it has one.
 */
public record InflightMessage(int packetId, Delivery delivery, boolean released, long seq) {

  /** An entry with no store sequence number (the cluster's wire form carries none). */
  public InflightMessage(int packetId, Delivery delivery, boolean released) {
    this(packetId, delivery, released, 0);
  }

  InflightMessage release() {
    return new InflightMessage(packetId, delivery, true, seq);
  }

  InflightMessage renumbered(long newSeq) {
    return new InflightMessage(packetId, delivery, released, newSeq);
  }
}

package io.simqtt.core.session;

import java.util.List;

/**
 * The outbound flow's part of a session's state ({@link OutboundFlow#snapshot}).
 *
 * @param inflight unacknowledged QoS 1/2 publishes, in the order they were sent
 * @param queued deliveries not sent yet, in order
 * @param lastPacketId the packet id last given out; the next one follows it
 */
public record OutboundState(
    List<InflightMessage> inflight, List<Delivery> queued, int lastPacketId) {
  public static final OutboundState EMPTY = new OutboundState(List.of(), List.of(), 0);

  /** No message held. */
  public boolean hasNoMessages() {
    return inflight.isEmpty() && queued.isEmpty();
  }
}

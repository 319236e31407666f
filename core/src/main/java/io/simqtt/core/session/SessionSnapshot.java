package io.simqtt.core.session;

import io.simqtt.core.topic.SubscriptionOptions;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything a session holds, the one state type it is moved (and, later, stored) as. Each piece
 * of a session gives its own part: {@link Subscriptions} the filters, {@link OutboundFlow} the
 * unacknowledged and queued messages in order with the last packet id, {@link InboundQos2} the
 * inbound QoS 2 ids awaiting PUBREL; the session itself its expiry interval, its {@link
 * Session#lineage lineage} (0: unknown) and, from its {@link Migration}, {@code seen}: the
 * messages it got while settling after an earlier move, so the next node goes on dropping their
 * second copies.
 *
 * <p>A state received from another node may end in a {@code backlog}: queued messages behind
 * {@link #queued} that this node's store holds already ({@link SessionImport}); null when none.
 */
public record SessionSnapshot(
    Map<String, SubscriptionOptions> subscriptions,
    OutboundState outbound,
    Set<Integer> inboundQos2,
    long expiryInterval,
    List<MessageKey> seen,
    long lineage,
    StoredBacklog backlog) {

  /** The state from its fields one by one (as the cluster's wire form carries them). */
  public SessionSnapshot(
      Map<String, SubscriptionOptions> subscriptions,
      List<InflightMessage> inflight,
      List<Delivery> queued,
      Set<Integer> inboundQos2,
      long expiryInterval,
      int lastPacketId,
      List<MessageKey> seen,
      long lineage) {
    this(
        subscriptions,
        new OutboundState(inflight, queued, lastPacketId),
        inboundQos2,
        expiryInterval,
        seen,
        lineage,
        null);
  }

  /** The same state with other messages and seen ones. */
  SessionSnapshot with(OutboundState messages, List<MessageKey> seenToo, StoredBacklog onDisk) {
    return new SessionSnapshot(
        subscriptions, messages, inboundQos2, expiryInterval, seenToo, lineage, onDisk);
  }

  public List<InflightMessage> inflight() {
    return outbound.inflight();
  }

  public List<Delivery> queued() {
    return outbound.queued();
  }

  public int lastPacketId() {
    return outbound.lastPacketId();
  }
}

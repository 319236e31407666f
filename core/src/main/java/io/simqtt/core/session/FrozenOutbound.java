package io.simqtt.core.session;

import java.util.List;

/**
 * What a session's {@link OutboundFlow} held when it froze for a move to another node, taken out
 * of the flow as it was: the in-flight window and the queue on the heap with their store entries'
 * seqs, and the part of the queue that lies on disk only. The new owner gets {@link #state} and,
 * page by page, the backlog ({@link BacklogCursor}); if the move does not happen, {@link
 * OutboundFlow#thaw} puts all of it back ahead of what queued meanwhile, under the same seqs, so
 * the store, which kept every entry, needs no rewrite.
 */
final class FrozenOutbound {
  final InflightWindow inflight;
  /** Null when nothing was queued on the heap. */
  final DeliveryQueue queue;
  /** Null when nothing lay on disk only; never read or changed while frozen. */
  final QueueBacklog backlog;
  private final int lastPacketId;

  FrozenOutbound(
      InflightWindow inflight, DeliveryQueue queue, QueueBacklog backlog, int lastPacketId) {
    this.inflight = inflight;
    this.queue = queue;
    this.backlog = backlog;
    this.lastPacketId = lastPacketId;
  }

  /** Messages queued, on the heap and on disk: they count against the queue's bound. */
  long queuedCount() {
    return (queue == null ? 0 : queue.size()) + (backlog == null ? 0 : backlog.count);
  }

  /** Their bytes ({@link Delivery#queuedBytes}): they count against the queue's byte bound. */
  long queuedBytes() {
    return QueueBacklog.queuedBytes(queue, backlog);
  }

  /** What goes to the new owner at once: everything but the backlog. */
  OutboundState state() {
    return new OutboundState(
        inflight.inOrder(), queue == null ? List.of() : queue.deliveries(), lastPacketId);
  }
}

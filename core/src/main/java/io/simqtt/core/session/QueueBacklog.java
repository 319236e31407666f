package io.simqtt.core.session;

/**
 * The tail of a stored session's queue that is only on disk: in durable mode a queue keeps at
 * most {@code mqtt.sessions.queue-memory-messages} entries on the heap, and every entry queued
 * beyond them is written (as every entry is) but not kept. The entries are those with a seq in
 * ({@link #afterSeq}, {@link #lastSeq}], in the session's order; the heap keeps only their range
 * and counts, and {@link OutboundFlow} reads them back a page at a time as its queue drains.
 * Confined to its session's tasks.
 */
final class QueueBacklog {
  /** Entries on disk not read back yet; they count against the queue bound. */
  long count;
  /** Shared-subscription deliveries among them (they must move when the session lets them go). */
  long shared;
  /** Every entry of the backlog has a seq above this: the next page is read after it. */
  long afterSeq;
  /** The highest seq put on disk only. */
  long lastSeq;
  /**
   * The oldest entries, dropped by a full queue ({@code drop-oldest}) while none was on the heap:
   * already counted and no longer in {@link #count}; they are removed from disk as they are read.
   */
  long owedDrops;
  /** A page is being read; at most one at a time. */
  boolean reading;

  QueueBacklog(long count, long shared, long afterSeq, long lastSeq) {
    this.count = count;
    this.shared = shared;
    this.afterSeq = afterSeq;
    this.lastSeq = lastSeq;
  }

  /** One more entry goes to disk only, behind the others. */
  void spilled(Delivery d, long seq) {
    count++;
    if (d.sharedGroup() != null) {
      shared++;
    }
    lastSeq = seq;
  }

  /** Whether nothing of it is left on disk to read. */
  boolean isDone() {
    return (count == 0 && owedDrops == 0) || afterSeq >= lastSeq;
  }
}

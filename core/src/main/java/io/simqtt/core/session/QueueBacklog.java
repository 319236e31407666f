package io.simqtt.core.session;

import io.simqtt.core.auth.Permissions;
import java.util.Arrays;
import java.util.stream.LongStream;

/**
 * The tail of a stored session's queue that is only on disk: in durable mode a queue keeps at
 * most {@code mqtt.sessions.queue-memory-messages} entries on the heap, and every entry queued
 * beyond them is written (as every entry is) but not kept. The entries are those with a seq in
 * ({@link #afterSeq}, {@link #lastSeq}], in the session's order; the heap keeps only their range
 * and counts, and {@link OutboundFlow} reads them back a page at a time as its queue drains.
 * Confined to its session's tasks.
 */
final class QueueBacklog {
  static final long FIRST_RETRY_PAUSE_MILLIS = 10;
  static final long MAX_RETRY_PAUSE_MILLIS = 5_000;

  /** Entries on disk not read back yet; they count against the queue bound. */
  long count;
  /**
   * Their {@link Delivery#queuedBytes}, summed, those owed as dropped included until they are
   * read (their size is not known before); they count against the queue's byte bound.
   */
  long bytes;
  /** Shared-subscription deliveries among them (they must move when the session lets them go). */
  long shared;
  /** Every entry of the backlog has a seq above this: the next page is read after it. */
  long afterSeq;
  /**
   * Hand-ons of its shared deliveries ({@link OutboundFlow#handOnSharedFirst}) read it through
   * this seq: those they found went to other members, the rest stays where it is, for the queue to
   * read back in its turn. A hand-on goes on after {@link #handOnFrom}.
   */
  long handOnAfter;
  /**
   * The seqs, in order, of the entries a hand-on gave other members that may still be in the
   * store (they stay until the new holders have them) when a read is asked for: the read passes
   * over them ({@link #handedOn}). Each page handed on sets it anew, with those of every pass-on
   * not safe yet; null before the first.
   */
  long[] handedOnSeqs;
  /** The highest seq put on disk only. */
  long lastSeq;
  /**
   * The oldest entries, dropped by a full queue ({@code drop-oldest}) while none was on the heap:
   * already counted and no longer in {@link #count}; they are removed from disk as they are read.
   */
  long owedDrops;
  /**
   * Bytes the oldest entries must free for the queue to be within its byte bound again ({@code
   * drop-oldest}, none on the heap): entries are dropped as they are read, each counted then,
   * until they have. Every entry read as owed (by count too) pays its size off this; it is never
   * above {@link #bytes}, so what is on disk always covers it.
   */
  long owedBytes;
  /** A page is being read, or waits to be read again after a failure; at most one at a time. */
  boolean reading;
  /** The pause before the last page read that failed is tried again; 0 after a success. */
  long retryPauseMillis;
  /**
   * What entries read back are checked against before they join the queue, or null: see {@link
   * OutboundFlow#checkHeld}.
   */
  Permissions checkWith;
  /**
   * The window of second copies a session expecting redirects keeps ({@link
   * SessionMove#expectRedirects}), or null: an entry read back whose message it has seen already
   * is a second copy and is dropped (counted), so the disk part of the queue is checked in order
   * as it comes back rather than read whole for the window's sake.
   */
  SeenMessages seen;

  QueueBacklog(long count, long bytes, long shared, long afterSeq, long lastSeq) {
    this.count = count;
    this.bytes = bytes;
    this.shared = shared;
    this.afterSeq = afterSeq;
    this.lastSeq = lastSeq;
  }

  /** The bytes that count against the queue's byte bound: those owed as dropped are gone. */
  long queuedBytes() {
    return bytes - owedBytes;
  }

  /**
   * The bytes of a queue on the heap ({@code heap}) and on disk only ({@code disk}), either null
   * when empty, that count against its byte bound.
   */
  static long queuedBytes(DeliveryQueue heap, QueueBacklog disk) {
    return (heap == null ? 0 : heap.bytes()) + (disk == null ? 0 : disk.queuedBytes());
  }

  /** One more entry goes to disk only, behind the others. */
  void spilled(Delivery d, long seq) {
    count++;
    bytes += d.queuedBytes();
    if (d.sharedGroup() != null) {
      shared++;
    }
    lastSeq = seq;
  }

  /** The same entries on disk, owed drops and checks, with no read under way. */
  QueueBacklog copy() {
    QueueBacklog c = new QueueBacklog(count, bytes, shared, afterSeq, lastSeq);
    c.owedDrops = owedDrops;
    c.owedBytes = owedBytes;
    c.checkWith = checkWith;
    c.seen = seen;
    c.handOnAfter = handOnAfter;
    c.handedOnSeqs = handedOnSeqs;
    return c;
  }

  /** {@code later}, which lies on disk behind this one, joins it. */
  void absorb(QueueBacklog later) {
    count += later.count;
    bytes += later.bytes;
    shared += later.shared;
    owedDrops += later.owedDrops;
    owedBytes += later.owedBytes;
    lastSeq = later.lastSeq;
    if (checkWith == null) {
      checkWith = later.checkWith;
    }
    if (seen == null) {
      seen = later.seen;
    }
    if (later.handedOnSeqs != null) {
      // Each may still be in the store: its seqs lie above these.
      handedOnSeqs = handedOnSeqs == null
          ? later.handedOnSeqs
          : LongStream.concat(
              Arrays.stream(handedOnSeqs), Arrays.stream(later.handedOnSeqs)).toArray();
    }
  }

  /** Where a hand-on of its shared deliveries reads on: after what was read back or handed on. */
  long handOnFrom() {
    return Math.max(afterSeq, handOnAfter);
  }

  /** Whether {@code seq} is an entry handed on, maybe still in the store: {@link #handedOnSeqs}. */
  boolean handedOn(long seq) {
    return holds(handedOnSeqs, seq);
  }

  /** Whether {@code seqs}, in order or null for none, hold {@code seq}. */
  static boolean holds(long[] seqs, long seq) {
    return seqs != null && Arrays.binarySearch(seqs, seq) >= 0;
  }

  /** After a failed page read: the pause before the next try, twice the last, up to the cap. */
  long nextRetryPause() {
    retryPauseMillis = retryPauseMillis == 0
        ? FIRST_RETRY_PAUSE_MILLIS
        : Math.min(retryPauseMillis * 2, MAX_RETRY_PAUSE_MILLIS);
    return retryPauseMillis;
  }

  /** Whether entries are owed as dropped: the next ones read go. */
  boolean owes() {
    return owedDrops > 0 || owedBytes > 0;
  }

  /** Whether nothing of it is left on disk to read. */
  boolean isDone() {
    return (count == 0 && owedDrops == 0) || afterSeq >= lastSeq;
  }
}

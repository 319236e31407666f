package io.simqtt.peer;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * One incarnation of a peer's forwards into this node, across its streams: which numbers were
 * seen (a re-sent one is not delivered twice), and which are handled, so the peer may stop
 * holding them. A batch of forwards is handled once every local session took its copy and, in
 * durable mode, those copies are durable; an acknowledgement covers every number up to its own,
 * so it only ever advances over batches that are handled and all batches before them too. A
 * batch re-sent on a new stream, of numbers seen on an older one, waits behind the older
 * stream's batches still being written: it is not acknowledged before they are.
 *
 * <p>Acknowledgements go out every {@link #ACK_EVERY} handled forwards or {@link
 * #ACK_DELAY_MILLIS} after the first one not yet acknowledged, on the peer's current stream.
 * Thread-safe: batches are opened on the stream's gRPC thread and handled on session event loops
 * or the store's thread.
 */
final class PeerForwards {
  private static final int ACK_EVERY = 64;
  private static final long ACK_DELAY_MILLIS = 5;

  private final long incarnation;
  private final Scheduler timer;
  // Guarded by this:
  private long seen;
  /** Batches opened and not yet handled, or handled behind one that is not: in order. */
  private final ArrayDeque<Batch> open = new ArrayDeque<>();
  private long handled;
  private int unacked;
  private boolean ackScheduled;
  /** Sends an acknowledgement on the peer's current stream; null while none is up. */
  private LongConsumer acks;

  /** Forwards of one frame, up to {@link #lastSeq}. */
  static final class Batch {
    private final long lastSeq;
    private final int count;
    private boolean done;

    private Batch(long lastSeq, int count) {
      this.lastSeq = lastSeq;
      this.count = count;
    }
  }

  PeerForwards(long incarnation, Scheduler timer) {
    this.incarnation = incarnation;
    this.timer = timer;
  }

  long incarnation() {
    return incarnation;
  }

  /** The peer's stream that acknowledgements go out on from now (null: none). */
  synchronized void ackOn(LongConsumer stream) {
    this.acks = stream;
    if (stream != null) {
      scheduleAck();
    }
  }

  /** Whether forward {@code seq} is new (not a re-send of one already seen). */
  synchronized boolean accept(long seq) {
    if (seq <= seen) {
      return false;
    }
    seen = seq;
    return true;
  }

  /** A batch of {@code count} forwards, the last numbered {@code lastSeq}, is being delivered. */
  synchronized Batch open(long lastSeq, int count) {
    Batch b = new Batch(lastSeq, count);
    open.add(b);
    return b;
  }

  /** Every number up to this one is handled. */
  synchronized long handled() {
    return handled;
  }

  /** {@code b}'s copies are taken (and durable): the acknowledgement may advance over it. */
  void handled(Batch b) {
    boolean ackNow;
    synchronized (this) {
      b.done = true;
      while (!open.isEmpty() && open.peek().done) {
        Batch d = open.poll();
        handled = d.lastSeq;
        unacked += d.count;
      }
      ackNow = unacked >= ACK_EVERY;
      if (!ackNow) {
        scheduleAck();
      }
    }
    if (ackNow) {
      ack();
    }
  }

  /** An acknowledgement of what is handled goes out after the delay; called holding the lock. */
  private void scheduleAck() {
    if (unacked > 0 && !ackScheduled) {
      ackScheduled = true;
      timer.schedule(this::ack, ACK_DELAY_MILLIS, TimeUnit.MILLISECONDS);
    }
  }

  private void ack() {
    long seq;
    LongConsumer stream;
    synchronized (this) {
      ackScheduled = false;
      if (unacked == 0 || acks == null) {
        return;
      }
      unacked = 0;
      seq = handled;
      stream = acks;
    }
    stream.accept(seq);
  }
}

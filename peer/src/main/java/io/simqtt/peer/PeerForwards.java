package io.simqtt.peer;

import io.simqtt.core.cluster.SeenForwards;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
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
 * <p>What was seen outlives the node in durable mode ({@link SeenForwards}): once a batch's
 * copies are queued to the store ({@link #written}), the numbers it took are recorded behind
 * them, as a rising watermark over the batches written in order and a range for a batch written
 * ahead of one before it, and the acknowledgement waits for the durability point after that
 * record. The copies of a batch with a QoS 2 forward are written under a hold of the store that
 * is released after the record ({@link InboundLink}), so copies and record reach the disk in one
 * unit (unless the store cuts the hold). So a QoS 2 forward whose copies became durable but whose
 * acknowledgement was lost to a kill of this node is dropped (and acknowledged) when the peer
 * sends it again; one of QoS 0/1 may be taken again (allowed for QoS 1), when the kill kept its
 * copies but not the record behind them. A forward whose copies did not become durable was not
 * recorded either, so it is taken again. At most {@link
 * #MAX_RANGES} ranges wait beyond the watermark; a batch written ahead of that many is recorded
 * only when the watermark passes it (counted in {@link Counts#unrecorded}: a kill before then
 * would deliver its forwards again).
 *
 * <p>Acknowledgements go out every {@link #ACK_EVERY} handled forwards or {@link
 * #ACK_DELAY_MILLIS} after the first one not yet acknowledged, on the peer's current stream.
 * Thread-safe: batches are opened on the stream's gRPC thread and written and handled on session
 * event loops or the store's thread.
 */
final class PeerForwards {
  private static final int ACK_EVERY = 64;
  private static final long ACK_DELAY_MILLIS = 5;
  static final int MAX_RANGES = 1024;

  private final String peerId;
  private final long incarnation;
  private final Scheduler timer;
  private final SeenForwards store;
  private final Counts counts;
  // Guarded by this:
  private long seen;
  /** Batches opened and not yet handled, or handled behind one that is not: in order. */
  private final ArrayDeque<Batch> open = new ArrayDeque<>();
  private long handled;
  private int unacked;
  private boolean ackScheduled;
  /** Sends an acknowledgement on the peer's current stream; null while none is up. */
  private LongConsumer acks;
  /** The recorded watermark: every number up to it was taken and its copies written. */
  private long through;
  /** Ranges recorded beyond {@link #through} (first to last), loaded or written since. */
  private final NavigableMap<Long, Long> beyond;
  /** Batches that took forwards, in order, from the first one {@link #through} has not passed. */
  private final ArrayDeque<Batch> unpassed = new ArrayDeque<>();
  /** Set once the peer came back as another incarnation: nothing more of this one is recorded. */
  private boolean retired;

  /** Per peer, across its incarnations: what its forwards into this node met. */
  static final class Counts {
    /** Forwards dropped because they were seen before (re-sent after a reconnect or restart). */
    final LongAdder duplicates = new LongAdder();
    /** Forwards whose record waited for the watermark, {@link #MAX_RANGES} being reached. */
    final LongAdder unrecorded = new LongAdder();
    /**
     * Incarnations whose forwards a stream took without a record kept (see {@link
     * StreamForwards}): past {@link InboundStreams#MAX_EARLIER}, or not named by the Hello.
     */
    final LongAdder untrackedIncarnations = new LongAdder();
  }

  /** Forwards of one frame, up to {@link #lastSeq}. */
  static final class Batch {
    private final long lastSeq;
    private final int count;
    private boolean done;
    /** The numbers it took, first to last; 0 while none. */
    private long first;
    private long last;
    private boolean written;

    private Batch(long lastSeq, int count) {
      this.lastSeq = lastSeq;
      this.count = count;
    }
  }

  /**
   * @param loaded what {@code store} kept of this incarnation when the node stopped, or null
   */
  PeerForwards(
      String peerId,
      long incarnation,
      Scheduler timer,
      SeenForwards store,
      SeenForwards.Seen loaded,
      Counts counts) {
    this.peerId = peerId;
    this.incarnation = incarnation;
    this.timer = timer;
    this.store = store;
    this.counts = counts;
    this.through = loaded == null ? 0 : loaded.through();
    this.beyond = loaded == null ? new TreeMap<>() : new TreeMap<>(loaded.beyond());
    this.seen = through;
  }

  long incarnation() {
    return incarnation;
  }

  /**
   * The peer came back as another incarnation: nothing more of this one is recorded, so its
   * record can be deleted once this returns.
   */
  synchronized void retire() {
    retired = true;
  }

  /** The peer's stream that acknowledgements go out on from now (null: none). */
  synchronized void ackOn(LongConsumer stream) {
    this.acks = stream;
    if (stream != null) {
      scheduleAck();
    }
  }

  /**
   * Whether forward {@code seq} of batch {@code b} is new (not a re-send of one already seen);
   * one that is not is counted.
   */
  synchronized boolean accept(Batch b, long seq) {
    if (seq <= seen) {
      counts.duplicates.increment();
      return false;
    }
    seen = seq;
    Map.Entry<Long, Long> r = beyond.floorEntry(seq);
    if (r != null && seq <= r.getValue()) {
      counts.duplicates.increment();
      if (b.first != 0) {
        b.last = seq; // recorded already: the watermark may pass it with this batch
      }
      return false;
    }
    if (b.first == 0) {
      b.first = seq;
      unpassed.add(b);
    }
    b.last = seq;
    return true;
  }

  /** A batch of {@code count} forwards, the last numbered {@code lastSeq}, is being delivered. */
  synchronized Batch open(long lastSeq, int count) {
    Batch b = new Batch(lastSeq, count);
    open.add(b);
    return b;
  }

  /**
   * The copies of {@code b}'s forwards are queued to the store: what it took is recorded behind
   * them. Call before asking for the durability point that {@link #handled} waits for.
   */
  synchronized void written(Batch b) {
    if (b.first == 0 || retired) {
      return;
    }
    b.written = true;
    if (unpassed.peek() != b) {
      if (beyond.size() >= MAX_RANGES) {
        counts.unrecorded.add(b.count);
        return;
      }
      beyond.put(b.first, b.last);
      store.range(peerId, incarnation, b.first, b.last);
      return;
    }
    while (!unpassed.isEmpty() && unpassed.peek().written) {
      through = unpassed.poll().last;
    }
    // A range the watermark reaches is taken whole, up to its end: one loaded from before a
    // restart may reach past the batches that got here (the sender re-sends in frames cut
    // otherwise), and its rest must stay seen.
    List<Long> passed = new ArrayList<>(1);
    Map.Entry<Long, Long> r;
    while ((r = beyond.firstEntry()) != null && r.getKey() <= through + 1) {
      through = Math.max(through, r.getValue());
      passed.add(beyond.pollFirstEntry().getKey());
    }
    seen = Math.max(seen, through);
    store.advance(peerId, incarnation, through, passed);
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

package io.simqtt.core.session;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.ObjLongConsumer;
import java.util.function.Predicate;

/**
 * A session's queue of QoS 1/2 deliveries not sent yet, first in first out, each with the sequence
 * number of its {@link SessionStore} entry.
 *
 * <p>A ring of deliveries beside a ring of sequence numbers that exists only once an entry has
 * one: in memory mode (no number is ever given) a queued message costs its array slot as in an
 * {@code ArrayDeque}, nothing more, where a (seq, delivery) pair per element would add an object
 * of 24 bytes to every queued message. A stored session's queue adds 8 bytes per message.
 * Confined to its session's tasks; {@link #size} is also read racily for gauges.
 */
final class DeliveryQueue {
  private static final int FIRST_CAPACITY = 16;

  private Delivery[] items = new Delivery[FIRST_CAPACITY];
  /** Null until an entry with a sequence number is added. */
  private long[] seqs;
  private int head;
  private int size;
  /** The entries' {@link Delivery#queuedBytes}, summed. */
  private long bytes;
  /**
   * No entry expires before this (Message Expiry Interval): the earliest deadline added, or
   * later once {@link #removeIf} saw them all; {@link Long#MAX_VALUE} when none expires.
   */
  private long expiresNoEarlier = Long.MAX_VALUE;

  int size() {
    return size;
  }

  long bytes() {
    return bytes;
  }

  boolean isEmpty() {
    return size == 0;
  }

  /** Whether an entry may have expired by {@code now}: false means none has. */
  boolean mayHoldExpired(long now) {
    return now >= expiresNoEarlier;
  }

  void addLast(Delivery d, long seq) {
    if (size == items.length) {
      grow();
    }
    int i = index(size);
    items[i] = d;
    if (seq != 0 && seqs == null) {
      seqs = new long[items.length];
    }
    if (seqs != null) {
      seqs[i] = seq;
    }
    size++;
    bytes += d.queuedBytes();
    expiresNoEarlier = Math.min(expiresNoEarlier, deadline(d));
  }

  Delivery first() {
    return items[head];
  }

  /** The first entry's sequence number, 0 when it has none. */
  long firstSeq() {
    return seqs == null ? 0 : seqs[head];
  }

  void removeFirst() {
    bytes -= items[head].queuedBytes();
    items[head] = null;
    head = (head + 1) & (items.length - 1);
    size--;
  }

  /**
   * Removes every delivery {@code take} accepts, in order, handing each to {@code taken} with its
   * sequence number; the rest keep their order.
   */
  void removeIf(Predicate<Delivery> take, ObjLongConsumer<Delivery> taken) {
    int kept = 0;
    expiresNoEarlier = Long.MAX_VALUE;
    for (int n = 0; n < size; n++) {
      int from = index(n);
      Delivery d = items[from];
      long seq = seqs == null ? 0 : seqs[from];
      if (take.test(d)) {
        bytes -= d.queuedBytes();
        taken.accept(d, seq);
        continue;
      }
      expiresNoEarlier = Math.min(expiresNoEarlier, deadline(d));
      int to = index(kept++);
      items[to] = d;
      if (seqs != null) {
        seqs[to] = seq;
      }
    }
    for (int n = kept; n < size; n++) {
      items[index(n)] = null;
    }
    size = kept;
  }

  /** Calls {@code each} for every entry, in order. */
  void forEach(ObjLongConsumer<Delivery> each) {
    for (int n = 0; n < size; n++) {
      int i = index(n);
      each.accept(items[i], seqs == null ? 0 : seqs[i]);
    }
  }

  /** Gives every entry, in order, a new sequence number from {@code next}. */
  void renumber(LongSupplier next) {
    if (seqs == null) {
      seqs = new long[items.length];
    }
    for (int n = 0; n < size; n++) {
      seqs[index(n)] = next.getAsLong();
    }
  }

  /** The deliveries, in order. */
  List<Delivery> deliveries() {
    List<Delivery> out = new ArrayList<>(size);
    for (int n = 0; n < size; n++) {
      out.add(items[index(n)]);
    }
    return out;
  }

  private static long deadline(Delivery d) {
    long at = d.message().expiresAtMillis();
    return at == 0 ? Long.MAX_VALUE : at;
  }

  private int index(int n) {
    return (head + n) & (items.length - 1);
  }

  /** Doubles the rings, unwrapped so the first entry is at 0; capacity stays a power of 2. */
  private void grow() {
    int capacity = items.length * 2;
    Delivery[] bigger = new Delivery[capacity];
    long[] biggerSeqs = seqs == null ? null : new long[capacity];
    for (int n = 0; n < size; n++) {
      int i = index(n);
      bigger[n] = items[i];
      if (biggerSeqs != null) {
        biggerSeqs[n] = seqs[i];
      }
    }
    items = bigger;
    seqs = biggerSeqs;
    head = 0;
  }
}

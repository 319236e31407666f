package io.simqtt.core.session;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A session's sent and unacknowledged QoS 1/2 publishes, by packet id, in the order they were
 * sent (resends keep that order, MQTT 4.6).
 *
 * <p>Keyed by the {@code int} packet id with nothing allocated per message: a boxed map made an
 * entry and up to four {@code Integer}s for each, a fifth of what the broker allocated per message
 * at a low rate (docs/BENCHMARKS.md, "Allocation per message"). The entries sit in a ring in send
 * order (a removed one leaves a hole, skipped once it reaches the head; the holes are closed when
 * the ring's span is full, and it grows only if it is more than half entries), and an
 * open-addressed index maps a packet id to its slot.
 *
 * <p>Confined to its session's tasks. {@link #NONE} is a shared empty window that is never
 * written: a flow with nothing in flight and no client holds it rather than its own arrays.
 */
final class InflightWindow {
  static final InflightWindow NONE = new InflightWindow();

  private static final int FIRST_CAPACITY = 4;

  /** Send order; a null slot between head and tail is an entry removed out of order. */
  private InflightMessage[] ring;
  /** Ring positions, counted up without wrapping; the slot is {@code position & (length - 1)}. */
  private int head;
  private int tail;
  private int size;
  /**
   * Slot + 1 of each entry, by its packet id's hash, linear probing; 0 marks a free cell. Twice
   * the ring's length, so at most half full.
   */
  private int[] index;

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  /** The ring's length: what the window holds room for now (0 before its first entry). */
  int capacity() {
    return ring == null ? 0 : ring.length;
  }

  boolean contains(int packetId) {
    return get(packetId) != null;
  }

  /** The entry under {@code packetId}, or null. */
  InflightMessage get(int packetId) {
    if (size == 0) {
      return null;
    }
    int cell = find(packetId);
    return cell < 0 ? null : ring[index[cell] - 1];
  }

  /** Adds {@code f} as the last sent; its packet id must not be in the window. */
  void add(InflightMessage f) {
    if (ring == null) {
      ring = new InflightMessage[FIRST_CAPACITY];
      index = new int[FIRST_CAPACITY * 2];
    } else if (tail - head == ring.length) {
      if (size * 2 <= ring.length) {
        compact();
      } else {
        grow();
      }
    }
    int slot = tail & (ring.length - 1);
    ring[slot] = f;
    tail++;
    size++;
    place(f.packetId(), slot);
  }

  /** Replaces the entry under {@code f}'s packet id, in its place in the order. */
  void replace(InflightMessage f) {
    int cell = find(f.packetId());
    if (cell < 0) {
      throw new IllegalStateException("packet id " + f.packetId() + " is not in flight");
    }
    ring[index[cell] - 1] = f;
  }

  /** Each entry replaced by {@code change}'s result for it, in send order. */
  void replaceAll(UnaryOperator<InflightMessage> change) {
    for (int p = head; p != tail; p++) {
      int slot = p & (ring.length - 1);
      if (ring[slot] != null) {
        ring[slot] = change.apply(ring[slot]);
      }
    }
  }

  /** Removes and returns the entry under {@code packetId}, or null. */
  InflightMessage remove(int packetId) {
    if (size == 0) {
      return null;
    }
    int cell = find(packetId);
    if (cell < 0) {
      return null;
    }
    int slot = index[cell] - 1;
    InflightMessage f = ring[slot];
    ring[slot] = null;
    size--;
    unplace(cell);
    while (head != tail && ring[head & (ring.length - 1)] == null) {
      head++;
    }
    return f;
  }

  /** Every entry in send order (a copy: the window may change while it is walked). */
  List<InflightMessage> inOrder() {
    List<InflightMessage> all = new ArrayList<>(size);
    for (int p = head; p != tail; p++) {
      InflightMessage f = ring[p & (ring.length - 1)];
      if (f != null) {
        all.add(f);
      }
    }
    return all;
  }

  /**
   * Closes the holes in place, the entries moved towards the head: a window whose
   * acknowledgements come out of order stays within twice what it holds, without allocating.
   */
  private void compact() {
    int mask = ring.length - 1;
    int to = head;
    for (int from = head; from != tail; from++) {
      InflightMessage f = ring[from & mask];
      if (f != null) {
        ring[from & mask] = null;
        ring[to & mask] = f;
        to++;
      }
    }
    tail = to;
    Arrays.fill(index, 0);
    reindex();
  }

  /** Twice the room, the entries from slot 0 on. */
  private void grow() {
    InflightMessage[] old = ring;
    int mask = old.length - 1;
    ring = new InflightMessage[old.length * 2];
    index = new int[ring.length * 2];
    int to = 0;
    for (int from = head; from != tail; from++) {
      InflightMessage f = old[from & mask];
      if (f != null) {
        ring[to++] = f;
      }
    }
    head = 0;
    tail = to;
    reindex();
  }

  private void reindex() {
    int mask = ring.length - 1;
    for (int p = head; p != tail; p++) {
      place(ring[p & mask].packetId(), p & mask);
    }
  }

  private void place(int packetId, int slot) {
    int mask = index.length - 1;
    int cell = home(packetId, mask);
    while (index[cell] != 0) {
      cell = (cell + 1) & mask;
    }
    index[cell] = slot + 1;
  }

  /** The index cell holding {@code packetId}, or -1. */
  private int find(int packetId) {
    int mask = index.length - 1;
    int cell = home(packetId, mask);
    int e;
    while ((e = index[cell]) != 0) {
      if (ring[e - 1].packetId() == packetId) {
        return cell;
      }
      cell = (cell + 1) & mask;
    }
    return -1;
  }

  /**
   * Frees {@code cell} by moving later entries of its probe run back (linear probing's deletion
   * without tombstones, so lookups never slow down as ids come and go).
   */
  private void unplace(int cell) {
    int mask = index.length - 1;
    int gap = cell;
    int next = (gap + 1) & mask;
    int e;
    while ((e = index[next]) != 0) {
      int home = home(ring[e - 1].packetId(), mask);
      // e may fill the gap unless its home lies cyclically in (gap, next].
      if (((next - home) & mask) >= ((next - gap) & mask)) {
        index[gap] = e;
        gap = next;
      }
      next = (next + 1) & mask;
    }
    index[gap] = 0;
  }

  private static int home(int packetId, int mask) {
    int h = packetId * 0x9E3779B9;
    return (h ^ (h >>> 16)) & mask;
  }
}

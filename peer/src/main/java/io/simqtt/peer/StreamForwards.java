package io.simqtt.peer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What one peer stream delivers forwards into: the record of the peer's incarnation, and those of
 * the earlier incarnations whose journaled forwards the peer re-sends on it (its Hello names
 * them, each with the highest number re-sent), so a forward taken before the peer restarted is
 * dropped and acknowledged rather than delivered again. An incarnation the stream keeps no record
 * of (past the bound of earlier ones kept, or not named by the Hello) gets one for the stream's
 * life that records nothing: its forwards are taken, maybe a second time, and acknowledged, so
 * the peer stops holding them. Such incarnations are counted.
 */
final class StreamForwards {
  private final PeerForwards current;
  private final long currentThrough;
  /** Per earlier incarnation: its record, kept across streams or made for this one. */
  private final Map<Long, PeerForwards> earlier = new ConcurrentHashMap<>();
  /** Per earlier incarnation named by the Hello: the highest number re-sent of it. */
  private final Map<Long, Long> earlierThrough;
  private final Untracked untracked;

  /** Makes (and counts) the record of an incarnation that is not kept. */
  interface Untracked {
    PeerForwards of(long incarnation);
  }

  /**
   * @param kept the records kept of earlier incarnations the Hello named
   * @param earlierThrough every earlier incarnation the Hello named: its highest number re-sent
   */
  StreamForwards(
      PeerForwards current,
      long resendThrough,
      Map<Long, PeerForwards> kept,
      Map<Long, Long> earlierThrough,
      Untracked untracked) {
    this.current = current;
    this.earlierThrough = earlierThrough;
    this.untracked = untracked;
    this.earlier.putAll(kept);
    long highestEarlier = earlierThrough.values().stream().mapToLong(Long::longValue).max()
        .orElse(0);
    // A peer numbers on across its restarts: its current incarnation re-sends something only if
    // the highest number re-sent is above every earlier one's.
    this.currentThrough = resendThrough > highestEarlier ? resendThrough : 0;
    for (long incarnation : earlierThrough.keySet()) {
      of(incarnation);
    }
  }

  /** The record that forwards numbered by the peer's {@code incarnation} go to (0: current). */
  PeerForwards of(long incarnation) {
    if (incarnation == 0 || incarnation == current.incarnation()) {
      return current;
    }
    return earlier.computeIfAbsent(incarnation, untracked::of);
  }

  /** Whether every forward the peer said it re-sends first on this stream is handled. */
  boolean caughtUp() {
    if (current.handled() < currentThrough) {
      return false;
    }
    for (Map.Entry<Long, Long> e : earlierThrough.entrySet()) {
      if (of(e.getKey()).handled() < e.getValue()) {
        return false;
      }
    }
    return true;
  }
}

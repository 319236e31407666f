package io.simqtt.core.cluster;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A hybrid logical clock: wall-clock milliseconds in the high bits and a counter in the low 16,
 * never going backwards and moved past every timestamp seen from a peer, so causally later events
 * get higher stamps even across nodes with skewed clocks.
 */
public final class HybridClock {
  private static final int COUNTER_BITS = 16;
  private final AtomicLong last = new AtomicLong();

  /** A new timestamp, higher than any this clock issued or observed. */
  public long now() {
    long physical = System.currentTimeMillis() << COUNTER_BITS;
    return last.updateAndGet(prev -> Math.max(prev + 1, physical));
  }

  /** Takes a peer's timestamp into account. */
  public void observe(long remote) {
    last.accumulateAndGet(remote, Math::max);
  }

  /** The wall-clock milliseconds of a timestamp. */
  public static long millis(long hlc) {
    return hlc >>> COUNTER_BITS;
  }
}

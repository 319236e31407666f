package io.simqtt.core.overload;

/**
 * A rate in units per second that may come one second's worth at once. Kept as a single number,
 * the moment the bucket would be full again (the generic cell rate algorithm), so a bucket is
 * one long and taking from it is a comparison and an addition. Time is the caller's {@code
 * System.nanoTime()}-like reading, so tests drive it by hand. Confined to one thread.
 */
public final class TokenBucket {
  private static final long SECOND = 1_000_000_000L;

  private final long ratePerSecond;
  /** When the bucket is full again if nothing more is taken; never more than a second ahead. */
  private long fullAt;

  /** A full bucket at {@code now}; {@code ratePerSecond} at least 1. */
  public TokenBucket(long ratePerSecond, long now) {
    if (ratePerSecond < 1) {
      throw new IllegalArgumentException("rate must be at least 1 per second");
    }
    this.ratePerSecond = ratePerSecond;
    this.fullAt = now;
  }

  /** Takes one unit if one is there; a refusal takes nothing. */
  public boolean tryTake(long now) {
    long next = later(fullAt, now) + nanosFor(1);
    if (next - now > SECOND) {
      return false;
    }
    fullAt = next;
    return true;
  }

  /**
   * Takes {@code units} whether or not they are there (what was read cannot be unread), and
   * returns how long, in nanoseconds, the caller must wait before the bucket is out of debt: 0
   * when it is not in debt.
   */
  public long charge(long units, long now) {
    fullAt = later(fullAt, now) + nanosFor(units);
    long over = fullAt - now - SECOND;
    return over > 0 ? over : 0;
  }

  /** Whether the bucket is full at {@code now}: forgetting it then would lose nothing. */
  public boolean isFull(long now) {
    return fullAt - now <= 0;
  }

  private long nanosFor(long units) {
    return units * SECOND / ratePerSecond;
  }

  /** The later of two nanoTime readings (which may wrap, so compared by difference). */
  private static long later(long a, long b) {
    return a - b > 0 ? a : b;
  }
}

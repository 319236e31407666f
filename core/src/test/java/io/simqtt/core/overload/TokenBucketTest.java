package io.simqtt.core.overload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The bucket on a clock moved by hand: a second's worth at once, then the rate, never more. */
class TokenBucketTest {
  private static final long MS = 1_000_000L;
  private static final long SECOND = 1000 * MS;

  @Test
  void aFullBucketGivesOneSecondsWorthAtOnceThenTheRate() {
    long t = 123_456_789L;
    TokenBucket b = new TokenBucket(10, t);
    for (int i = 0; i < 10; i++) {
      assertTrue(b.tryTake(t), "take " + i + " of the burst");
    }
    assertFalse(b.tryTake(t), "the 11th at once");
    assertFalse(b.tryTake(t + 99 * MS), "not before a tenth of a second");
    assertTrue(b.tryTake(t + 100 * MS));
    assertFalse(b.tryTake(t + 100 * MS));
  }

  @Test
  void overALongSpanTheRateHoldsWhateverIsAsked() {
    long t = 0;
    TokenBucket b = new TokenBucket(100, t);
    int taken = 0;
    // Asked every millisecond for 10 s: 10,000 attempts.
    for (int ms = 0; ms < 10_000; ms++) {
      if (b.tryTake(t + ms * MS)) {
        taken++;
      }
    }
    // 100 at once, then 100 per second for the 9.999 s that follow.
    assertTrue(taken >= 1000 && taken <= 100 + 1000, "taken " + taken);
  }

  @Test
  void aRefusalTakesNothing() {
    TokenBucket b = new TokenBucket(1, 0);
    assertTrue(b.tryTake(0));
    for (int i = 0; i < 1000; i++) {
      assertFalse(b.tryTake(0));
    }
    assertTrue(b.tryTake(SECOND), "refusals did not push the next token back");
  }

  @Test
  void chargingGoesIntoDebtAndSaysHowLongItLasts() {
    TokenBucket b = new TokenBucket(1000, 0);
    assertEquals(0, b.charge(1000, 0), "a second's worth is within the burst");
    assertEquals(500 * MS, b.charge(500, 0), "half a second's worth beyond");
    assertEquals(500 * MS - 100 * MS, b.charge(0, 100 * MS), "the debt shrinks with time");
    assertEquals(MS, b.charge(1, 500 * MS), "out of debt but empty: one more is 1 ms of debt");
    assertEquals(0, b.charge(1, 502 * MS), "once a unit has come back, one is within");
  }

  @Test
  void aFullBucketIsOneThatHasRecoveredEverything() {
    TokenBucket b = new TokenBucket(10, 0);
    assertTrue(b.isFull(0));
    b.tryTake(0);
    assertFalse(b.isFull(0));
    assertFalse(b.isFull(99 * MS));
    assertTrue(b.isFull(100 * MS));
  }

  @Test
  void wrappingClockReadingsCompareByDifference() {
    long t = Long.MAX_VALUE - 50 * MS;
    TokenBucket b = new TokenBucket(10, t);
    for (int i = 0; i < 10; i++) {
      assertTrue(b.tryTake(t));
    }
    assertFalse(b.tryTake(t + 99 * MS)); // past Long.MAX_VALUE
    assertTrue(b.tryTake(t + 100 * MS));
  }

  @Test
  void aRateBelowOneIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new TokenBucket(0, 0));
  }
}

package io.simqtt.core.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Refusal delays on a clock the test moves. */
class FailureDelaysTest {
  private final AtomicLong now = new AtomicLong();
  private final FailureDelays delays = new FailureDelays(250, 10_000, 3, now::get);

  private static InetAddress ip(int last) throws Exception {
    return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
  }

  private void advanceMillis(long ms) {
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
  }

  @Test
  void doublesPerRefusalUpToTheMaximumAndForgetsAfterAQuietMaximum() throws Exception {
    long[] expected = {250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000};
    for (long e : expected) {
      assertEquals(e, delays.refused(ip(1)));
      advanceMillis(e);
    }
    assertEquals(250, delays.refused(ip(2)), "per address");
    advanceMillis(10_001);
    assertEquals(250, delays.refused(ip(1)), "forgotten after max without a refusal");
    for (int i = 0; i < 100; i++) {
      delays.refused(ip(3));
    }
    assertEquals(10_000, delays.refused(ip(3)), "no overflow however many");
  }

  @Test
  void theTableIsBoundedAndWhatItForgetsIsCounted() throws Exception {
    for (int i = 1; i <= 3; i++) {
      delays.refused(ip(i));
    }
    assertEquals(0, delays.forgotten());
    delays.refused(ip(4));
    assertEquals(3, delays.size());
    assertEquals(1, delays.forgotten());
    advanceMillis(10_001);
    delays.refused(ip(5));
    assertEquals(1, delays.size(), "the idle ones go first");
    assertEquals(1, delays.forgotten(), "expired entries are not counted as forgotten early");
  }

  @Test
  void zeroBaseMeansNoDelay() throws Exception {
    FailureDelays none = new FailureDelays(0, 0, 3, now::get);
    assertEquals(0, none.refused(ip(1)));
    assertEquals(0, none.refused(ip(1)));
  }
}

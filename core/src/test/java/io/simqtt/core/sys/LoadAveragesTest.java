package io.simqtt.core.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The averaging math of $SYS/broker/load/..., fed directly with totals and times. */
class LoadAveragesTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void firstRoundIsZeroEverywhere() {
    LoadAverages load = new LoadAverages("messages/received", "connections");
    Map<String, String> f = load.update(123 * SECOND, 5000, 42);
    assertEquals(6, f.size());
    for (String w : LoadAverages.WINDOWS) {
      assertEquals("0.00", f.get("messages/received/" + w));
      assertEquals("0.00", f.get("connections/" + w));
    }
  }

  @Test
  void oneStepFollowsTheFormula() {
    LoadAverages load = new LoadAverages("m");
    load.update(0, 0);
    // 10 per 10 s = 60 per minute.
    Map<String, String> f = load.update(10 * SECOND, 10);
    assertEquals(60 * (1 - Math.exp(-10.0 / 60)), load.average("m", 0), 1e-9);
    assertEquals(60 * (1 - Math.exp(-10.0 / 300)), load.average("m", 1), 1e-9);
    assertEquals(60 * (1 - Math.exp(-10.0 / 900)), load.average("m", 2), 1e-9);
    assertEquals("9.21", f.get("m/1min"));
    assertEquals("1.97", f.get("m/5min"));
    assertEquals("0.66", f.get("m/15min"));
  }

  @Test
  void constantRateConvergesAndOneMinuteReactsFaster() {
    LoadAverages load = new LoadAverages("m");
    long total = 0;
    long now = 7 * SECOND; // any monotonic origin
    load.update(now, total);
    for (int round = 1; round <= 6; round++) { // one minute at 120/min, 10 s rounds
      now += 10 * SECOND;
      total += 20;
      load.update(now, total);
      double one = load.average("m", 0);
      double five = load.average("m", 1);
      double fifteen = load.average("m", 2);
      assertTrue(one > five && five > fifteen, one + " " + five + " " + fifteen);
      assertTrue(one < 120, "never overshoots: " + one);
    }
    for (int round = 0; round < 6 * 180; round++) { // three more hours
      now += 10 * SECOND;
      total += 20;
      load.update(now, total);
    }
    assertEquals(120, load.average("m", 0), 0.01);
    assertEquals(120, load.average("m", 1), 0.01);
    assertEquals(120, load.average("m", 2), 0.01);
    // Traffic stops: the 1min figure falls faster than the 15min one.
    for (int round = 0; round < 6; round++) {
      now += 10 * SECOND;
      load.update(now, total);
    }
    assertEquals(120 * Math.exp(-1), load.average("m", 0), 0.01);
    assertTrue(load.average("m", 0) < load.average("m", 1));
    assertTrue(load.average("m", 1) < load.average("m", 2));
  }

  @Test
  void noElapsedTimeKeepsTheFiguresAndCountsTheDeltaLater() {
    LoadAverages load = new LoadAverages("m");
    load.update(0, 0);
    load.update(60 * SECOND, 60);
    double before = load.average("m", 0);
    load.update(60 * SECOND, 120); // same instant: nothing changes yet
    assertEquals(before, load.average("m", 0), 0);
    load.update(120 * SECOND, 120); // the 60 arrive with this minute
    double e = Math.exp(-1);
    assertEquals(before * e + 60 * (1 - e), load.average("m", 0), 1e-9);
  }

  @Test
  void wrongCounterCountIsRejected() {
    LoadAverages load = new LoadAverages("a", "b");
    assertThrows(IllegalArgumentException.class, () -> load.update(0, 1));
  }

  @Test
  void formatsTwoDecimalsWithADotWhateverTheLocale() {
    Locale saved = Locale.getDefault();
    try {
      Locale.setDefault(Locale.GERMANY);
      assertEquals("1234.57", LoadAverages.format(1234.567));
      assertEquals("0.00", LoadAverages.format(0));
      assertEquals("0.10", LoadAverages.format(0.1));
    } finally {
      Locale.setDefault(saved);
    }
  }
}

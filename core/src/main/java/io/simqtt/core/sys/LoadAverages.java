package io.simqtt.core.sys;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Mosquitto's {@code $SYS/broker/load/...} figures: for each counter, the per-minute rate since
 * the previous round, smoothed exponentially over 1, 5 and 15 minutes ({@code new = old * e +
 * rate * (1 - e)} with {@code e = exp(-elapsed / window)}).
 *
 * <p>Not thread-safe and needs no locks: {@link SysTopicsPublisher} calls it from its single
 * timer thread only.
 */
final class LoadAverages {
  /** Topic suffixes of the three windows, in the order of {@link #WINDOW_SECONDS}. */
  static final String[] WINDOWS = {"1min", "5min", "15min"};

  private static final double[] WINDOW_SECONDS = {60, 300, 900};

  private final String[] names;
  private final long[] last;
  private final double[][] averages;
  private long lastNanos;
  private boolean started;

  /** {@code names}: one topic part per counter, e.g. {@code "messages/received"}. */
  LoadAverages(String... names) {
    this.names = names.clone();
    this.last = new long[names.length];
    this.averages = new double[names.length][WINDOWS.length];
  }

  /**
   * Feeds the counters' current totals (in the constructor's order) read at {@code nowNanos}
   * ({@link System#nanoTime}) and returns {@code name/window} to the formatted average. The first
   * round only records the totals and reports 0.00 everywhere.
   */
  Map<String, String> update(long nowNanos, long... totals) {
    if (totals.length != names.length) {
      throw new IllegalArgumentException(
          "expected " + names.length + " counters, got " + totals.length);
    }
    if (!started) {
      started = true;
      remember(nowNanos, totals);
    } else if (nowNanos - lastNanos > 0) {
      double elapsed = (nowNanos - lastNanos) / 1e9;
      for (int w = 0; w < WINDOWS.length; w++) {
        double e = Math.exp(-elapsed / WINDOW_SECONDS[w]);
        for (int c = 0; c < names.length; c++) {
          double rate = Math.max(0, totals[c] - last[c]) * 60.0 / elapsed;
          averages[c][w] = averages[c][w] * e + rate * (1 - e);
        }
      }
      remember(nowNanos, totals);
    }
    // No time elapsed: keep the previous figures; the counts go into the next round.
    Map<String, String> out = new LinkedHashMap<>();
    for (int c = 0; c < names.length; c++) {
      for (int w = 0; w < WINDOWS.length; w++) {
        out.put(names[c] + "/" + WINDOWS[w], format(averages[c][w]));
      }
    }
    return out;
  }

  private void remember(long nowNanos, long[] totals) {
    System.arraycopy(totals, 0, last, 0, totals.length);
    lastNanos = nowNanos;
  }

  /** The average for counter {@code name} over window index {@code window} (0 = 1min). */
  double average(String name, int window) {
    for (int c = 0; c < names.length; c++) {
      if (names[c].equals(name)) {
        return averages[c][window];
      }
    }
    throw new IllegalArgumentException("no counter " + name);
  }

  /** Two decimals with a dot whatever the default locale, as Mosquitto's "%.2f". */
  static String format(double value) {
    return String.format(Locale.ROOT, "%.2f", value);
  }
}

package io.simqtt.core.auth;

import java.net.InetAddress;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * How long a refused CONNECT waits for its answer: {@code base} for an address's first refusal,
 * doubling with each further one up to {@code max}, and back to {@code base} once the address
 * has gone {@code max} without a refusal. Guessing passwords from one address gets slower with
 * each guess; one mistyped password costs little. At most {@code maxAddresses} are remembered;
 * beyond that some are forgotten (and counted), so a flood from many addresses
 * cannot grow the table without bound: first those past {@code max}, then any.
 */
final class FailureDelays {
  private final long baseNanos;
  private final long maxNanos;
  private final int maxAddresses;
  private final LongSupplier nanoTime;
  private final Map<InetAddress, Failures> byAddress = new ConcurrentHashMap<>();
  private final LongAdder forgotten = new LongAdder();

  private record Failures(int count, long lastNanos) {}

  FailureDelays(long baseMillis, long maxMillis, int maxAddresses, LongSupplier nanoTime) {
    this.baseNanos = baseMillis * 1_000_000;
    this.maxNanos = maxMillis * 1_000_000;
    this.maxAddresses = maxAddresses;
    this.nanoTime = nanoTime;
  }

  /** Records a refusal from {@code address}; returns how long its answer waits, in millis. */
  long refused(InetAddress address) {
    if (baseNanos == 0) {
      return 0;
    }
    long now = nanoTime.getAsLong();
    Failures f = byAddress.compute(address, (a, old) ->
        old == null || now - old.lastNanos > maxNanos
            ? new Failures(1, now)
            : new Failures(Math.min(old.count + 1, 64), now));
    if (byAddress.size() > maxAddresses) {
      trim(now);
    }
    int doublings = f.count - 1;
    boolean capped = doublings >= 63 || baseNanos > (maxNanos >> doublings);
    return (capped ? maxNanos : baseNanos << doublings) / 1_000_000;
  }

  /** Addresses forgotten before their time because the table was full. */
  long forgotten() {
    return forgotten.sum();
  }

  int size() {
    return byAddress.size();
  }

  private void trim(long now) {
    byAddress.values().removeIf(f -> now - f.lastNanos > maxNanos);
    Iterator<Map.Entry<InetAddress, Failures>> it = byAddress.entrySet().iterator();
    while (byAddress.size() > maxAddresses && it.hasNext()) {
      it.next();
      it.remove();
      forgotten.increment();
    }
  }
}

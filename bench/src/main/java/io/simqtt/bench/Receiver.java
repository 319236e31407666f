package io.simqtt.bench;

import java.util.BitSet;
import org.HdrHistogram.Histogram;

/**
 * What one subscriber saw. Touched only by its connection's event loop while the run is going;
 * read by the runner after the connections are closed (the close is the happens-before edge).
 */
final class Receiver {
  /** Latencies in microseconds, up to one hour. */
  final Histogram latencyMicros = new Histogram(3_600_000_000L, 3);
  /** Latencies of the messages sent during the warm-up (used when nothing was measured). */
  final Histogram warmupLatencyMicros = new Histogram(3_600_000_000L, 3);

  private BitSet[] seen = new BitSet[8];
  long received;
  long duplicatesSeenHere;
  long malformed;
  long measured;
  long lastArrivalNanos;
  long lastAnyArrivalNanos;
  /** Messages sent at or after this instant are measured (latency, rate). */
  volatile long measureFromNanos = Long.MAX_VALUE;
  /** {@link #received} + duplicates as of the last read batch, for the runner to watch. */
  volatile long progress;

  /** Publishes {@link #progress}; called once per read batch. */
  void publishProgress() {
    progress = received;
  }

  void onPayload(byte[] payload, long now) {
    if (payload.length < PublishTemplate.HEADER_BYTES) {
      malformed++;
      return;
    }
    long sent = getLong(payload, 0);
    int seq = getInt(payload, 8);
    int pub = getInt(payload, 12);
    if (pub < 0 || pub > 1_000_000 || seq < 0) {
      malformed++;
      return;
    }
    received++;
    if (pub >= seen.length) {
      BitSet[] bigger = new BitSet[Math.max(pub + 1, seen.length * 2)];
      System.arraycopy(seen, 0, bigger, 0, seen.length);
      seen = bigger;
    }
    BitSet s = seen[pub];
    if (s == null) {
      s = new BitSet();
      seen[pub] = s;
    }
    if (s.get(seq)) {
      duplicatesSeenHere++;
    } else {
      s.set(seq);
    }
    long micros = Math.min(Math.max(0, (now - sent) / 1000), latencyMicros.getHighestTrackableValue());
    lastAnyArrivalNanos = now;
    if (sent >= measureFromNanos) {
      measured++;
      lastArrivalNanos = now;
      latencyMicros.recordValue(micros);
    } else {
      warmupLatencyMicros.recordValue(micros);
    }
  }

  /** The distinct sequences seen from publisher {@code pub} (null if none). */
  BitSet seenFrom(int pub) {
    return pub < seen.length ? seen[pub] : null;
  }

  private static long getLong(byte[] b, int i) {
    return ((long) getInt(b, i) << 32) | (getInt(b, i + 4) & 0xFFFFFFFFL);
  }

  private static int getInt(byte[] b, int i) {
    return (b[i] & 0xFF) << 24 | (b[i + 1] & 0xFF) << 16 | (b[i + 2] & 0xFF) << 8 | (b[i + 3] & 0xFF);
  }
}

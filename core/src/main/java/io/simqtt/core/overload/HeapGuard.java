package io.simqtt.core.overload;

import io.simqtt.config.HeapGuardSettings;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On while the old generation, measured right after a collection of it, is over {@code
 * stop-above} of its maximum; off again once a collection leaves it under {@code resume-below}.
 * While on, listeners refuse new connections and stop reading client sockets (see {@link
 * ConnectionGate} and the protocol package), so what clients send stays in their own buffers and
 * the node's heap stops growing.
 *
 * <p>Fed by {@link OldGenWatch} from the JVM's collection notifications, never from the message
 * path. The decision is here, apart from the JVM, so tests feed it figures by hand. Each episode
 * is logged once when it begins and once when it ends, and counted.
 */
public final class HeapGuard {
  private static final Logger LOG = LoggerFactory.getLogger(HeapGuard.class);
  private static final long MIB = 1024 * 1024;

  /** A guard that never turns on (mqtt.heap-guard.enabled = false). */
  public static HeapGuard off() {
    return new HeapGuard(new HeapGuardSettings(false, 1, 0), System::nanoTime);
  }

  private final HeapGuardSettings settings;
  private final LongSupplier nanoClock;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private volatile boolean active;
  private volatile long episodes;
  private long since;

  public HeapGuard(HeapGuardSettings settings, LongSupplier nanoClock) {
    this.settings = settings;
    this.nanoClock = nanoClock;
  }

  /** Whether the guard is on: read by the acceptor per connection and by connections that resume. */
  public boolean active() {
    return active;
  }

  /** Episodes so far (times the guard turned on). */
  public long episodes() {
    return episodes;
  }

  public HeapGuardSettings settings() {
    return settings;
  }

  /** Starts feeding this guard from the JVM's collections; returns what stops it. */
  public Runnable watchJvm() {
    OldGenWatch watch = OldGenWatch.start(this);
    return watch == null ? () -> {} : watch::close;
  }

  /** {@code listener} runs, on the caller's thread, each time the guard turns on or off. */
  public void onChange(Runnable listener) {
    listeners.add(listener);
  }

  /**
   * After a collection of the old generation: {@code used} of {@code max} bytes are still in use.
   * Returns whether the guard is on afterwards.
   */
  public synchronized boolean afterCollection(long used, long max) {
    if (!settings.enabled() || max <= 0) {
      return false;
    }
    double fraction = (double) used / max;
    if (!active && fraction > settings.stopAbove()) {
      since = nanoClock.getAsLong();
      episodes++;
      active = true;
      LOG.warn("heap guard on: {} MiB of {} MiB old generation still used after a collection"
              + " (over {}%): not accepting connections or reading from clients until under {}%",
          used / MIB, max / MIB, percent(settings.stopAbove()), percent(settings.resumeBelow()));
      listeners.forEach(Runnable::run);
    } else if (active && fraction < settings.resumeBelow()) {
      active = false;
      LOG.info("heap guard off after {} ms: {} MiB of {} MiB old generation used after a"
              + " collection (under {}%)",
          TimeUnit.NANOSECONDS.toMillis(nanoClock.getAsLong() - since), used / MIB, max / MIB,
          percent(settings.resumeBelow()));
      listeners.forEach(Runnable::run);
    }
    return active;
  }

  private static long percent(double fraction) {
    return Math.round(fraction * 100);
  }
}

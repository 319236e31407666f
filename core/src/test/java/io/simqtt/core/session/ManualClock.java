package io.simqtt.core.session;

import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link SessionClock} that moves only when the test says so: {@link #advance} runs the timers
 * that fall due, in deadline order, from the calling thread (a session timer only hands its work
 * to the session, which runs it on its loop).
 */
final class ManualClock implements SessionClock {
  /** A timer is its own handle: cancelled by the session, its delay counted on this clock. */
  private final class Timer extends CompletableFuture<Void> implements ScheduledFuture<Void> {
    final long dueMillis;
    final Runnable task;

    Timer(long dueMillis, Runnable task) {
      this.dueMillis = dueMillis;
      this.task = task;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(dueMillis - millis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public int compareTo(Delayed other) {
      return Long.compare(getDelay(TimeUnit.MILLISECONDS), other.getDelay(TimeUnit.MILLISECONDS));
    }
  }

  private final List<Timer> timers = new ArrayList<>();
  private long now;

  ManualClock(long startMillis) {
    this.now = startMillis;
  }

  @Override
  public synchronized long millis() {
    return now;
  }

  @Override
  public synchronized ScheduledFuture<?> schedule(
      EventExecutor loop, Runnable task, long delayMillis) {
    Timer t = new Timer(now + delayMillis, task);
    timers.add(t);
    return t;
  }

  /** Moves the clock forward, running every timer due by then that was not cancelled. */
  void advance(long millis) {
    long until;
    synchronized (this) {
      until = now + millis;
    }
    while (true) {
      Timer next;
      synchronized (this) {
        next =
            timers.stream()
                .filter(t -> t.dueMillis <= until)
                .min(Comparator.comparingLong((Timer t) -> t.dueMillis))
                .orElse(null);
        if (next == null) {
          now = until;
          return;
        }
        timers.remove(next);
        now = Math.max(now, next.dueMillis);
      }
      if (!next.isCancelled()) {
        next.task.run();
      }
    }
  }

  /** When the next timer not cancelled falls due; {@link Long#MAX_VALUE} if none is set. */
  synchronized long nextDueMillis() {
    return timers.stream()
        .filter(t -> !t.isCancelled())
        .mapToLong(t -> t.dueMillis)
        .min()
        .orElse(Long.MAX_VALUE);
  }
}

package io.simqtt.core.session;

import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

/**
 * A {@link SessionClock} that moves only when the test says so: {@link #advance} runs the timers
 * that fall due, in deadline order, from the calling thread (a session timer only hands its work
 * to the session, which runs it on its loop).
 */
final class ManualClock implements SessionClock {
  private record Timer(long dueMillis, Runnable task, CompletableFuture<Void> handle) {}

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
  public synchronized Future<?> schedule(EventExecutor loop, Runnable task, long delayMillis) {
    CompletableFuture<Void> handle = new CompletableFuture<>();
    timers.add(new Timer(now + delayMillis, task, handle));
    return handle;
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
                .filter(t -> t.dueMillis() <= until)
                .min(Comparator.comparingLong(Timer::dueMillis))
                .orElse(null);
        if (next == null) {
          now = until;
          return;
        }
        timers.remove(next);
        now = Math.max(now, next.dueMillis());
      }
      if (!next.handle().isCancelled()) {
        next.task().run();
      }
    }
  }

  /** Deadlines of the timers not run and not cancelled yet, in milliseconds of this clock. */
  synchronized List<Long> pendingDeadlines() {
    return timers.stream()
        .filter(t -> !t.handle().isCancelled())
        .map(Timer::dueMillis)
        .sorted()
        .toList();
  }
}

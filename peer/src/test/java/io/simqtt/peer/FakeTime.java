package io.simqtt.peer;

import java.time.Duration;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;

/**
 * Time that moves only when a test {@link #advance}s it, shared by every node of an in-process
 * cluster: each node gets its own {@link #scheduler} (stopping a node drops its timers only).
 * Due tasks run on the thread that advances, in order of their due time (then of scheduling),
 * each seeing {@link Scheduler#nanoTime} at its due time.
 */
final class FakeTime {
  private final PriorityQueue<Task> due =
      new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at)
          : Long.compare(a.order, b.order));
  // Guarded by this:
  private long now = 1_000_000_000L;
  private long order;

  private final class Task {
    final ManualScheduler owner;
    final Runnable body;
    final long period;
    long at;
    long order;
    volatile boolean cancelled;

    Task(ManualScheduler owner, Runnable body, long at, long period) {
      this.owner = owner;
      this.body = body;
      this.at = at;
      this.period = period;
    }
  }

  /** A scheduler for one node, on this shared time. */
  Scheduler scheduler() {
    return new ManualScheduler();
  }

  synchronized long nanoTime() {
    return now;
  }

  /**
   * Moves time forward by {@code d}, running every task that falls due on the way (tasks those
   * schedule run too if they fall due within {@code d}).
   */
  void advance(Duration d) {
    long target;
    synchronized (this) {
      target = now + d.toNanos();
    }
    while (true) {
      Task t;
      synchronized (this) {
        t = due.peek();
        if (t == null || t.at > target) {
          now = target;
          return;
        }
        due.poll();
        now = t.at;
      }
      if (t.cancelled || t.owner.shutdown) {
        continue;
      }
      t.body.run();
      if (t.period > 0 && !t.cancelled) {
        synchronized (this) {
          t.at += t.period;
          t.order = order++;
          due.add(t);
        }
      }
    }
  }

  /** How many tasks wait, for tests of this class. */
  synchronized int pending() {
    int live = 0;
    for (Task t : due) {
      if (!t.cancelled && !t.owner.shutdown) {
        live++;
      }
    }
    return live;
  }

  private final class ManualScheduler implements Scheduler {
    volatile boolean shutdown;

    @Override
    public long nanoTime() {
      return FakeTime.this.nanoTime();
    }

    @Override
    public Cancellable schedule(Runnable task, long delay, TimeUnit unit) {
      return add(task, unit.toNanos(delay), 0);
    }

    @Override
    public Cancellable scheduleRepeating(Runnable task, long period, TimeUnit unit) {
      long p = Math.max(1, unit.toNanos(period));
      return add(task, p, p);
    }

    private Cancellable add(Runnable body, long delay, long period) {
      if (shutdown) {
        return Cancellable.NONE;
      }
      Task t;
      synchronized (FakeTime.this) {
        t = new Task(this, body, now + delay, period);
        t.order = order++;
        due.add(t);
      }
      return () -> t.cancelled = true;
    }

    @Override
    public void shutdown() {
      shutdown = true;
    }
  }
}

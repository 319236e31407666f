package io.simqtt.peer;

import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Real time: {@link System#nanoTime} and one daemon timer thread per node. */
final class SystemScheduler implements Scheduler {
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "simqtt-peer-timer");
            t.setDaemon(true);
            return t;
          });

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public Cancellable schedule(Runnable task, long delay, TimeUnit unit) {
    try {
      var f = timer.schedule(task, delay, unit);
      return () -> f.cancel(false);
    } catch (RejectedExecutionException shutDown) {
      return Cancellable.NONE;
    }
  }

  @Override
  public Cancellable scheduleRepeating(Runnable task, long period, TimeUnit unit) {
    try {
      var f = timer.scheduleAtFixedRate(task, period, period, unit);
      return () -> f.cancel(false);
    } catch (RejectedExecutionException shutDown) {
      return Cancellable.NONE;
    }
  }

  @Override
  public void shutdown() {
    timer.shutdownNow();
  }
}

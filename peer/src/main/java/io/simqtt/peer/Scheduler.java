package io.simqtt.peer;

import java.util.concurrent.TimeUnit;

/**
 * The peer cluster's only source of time and of timers: heartbeats and silence, claim and
 * hand-over timeouts, dead-after, reconnect backoff and delayed acks all read and wait through
 * it. Production uses {@link SystemScheduler} (the monotonic clock, one timer thread); tests use a
 * manual one that moves only when the test says so.
 */
interface Scheduler {

  /** Monotonic nanoseconds (no relation to wall time), for timeouts and silences. */
  long nanoTime();

  /** Runs {@code task} once, {@code delay} from now. */
  Cancellable schedule(Runnable task, long delay, TimeUnit unit);

  /** Runs {@code task} every {@code period}, the first time one period from now. */
  Cancellable scheduleRepeating(Runnable task, long period, TimeUnit unit);

  /**
   * Drops every task not run yet, and any scheduled later: a stopping node's streams end on
   * gRPC's threads and may still arm timers that have nothing left to act on.
   */
  void shutdown();

  /** A scheduled task; cancelling one that ran or was cancelled already does nothing. */
  interface Cancellable {
    Cancellable NONE = () -> {};

    void cancel();
  }
}

package io.simqtt.core.session;

import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Time as sessions see it: the wall clock their deadlines are compared with (message expiry, the
 * duplicate window after a move, session expiry) and the timers that re-enter a session (will
 * delay, session expiry, the end of a redirect). Injected so tests move time instead of waiting
 * for it to pass.
 */
interface SessionClock {
  /** The real clock: timers run on the session's event loop, as the rest of its work does. */
  SessionClock SYSTEM =
      new SessionClock() {
        @Override
        public long millis() {
          return System.currentTimeMillis();
        }

        @Override
        public ScheduledFuture<?> schedule(EventExecutor loop, Runnable task, long delayMillis) {
          return loop.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        }
      };

  /** Wall-clock milliseconds. */
  long millis();

  /**
   * Runs {@code task} after {@code delayMillis}; cancelling the result stops it, and its delay
   * is the time left.
   */
  ScheduledFuture<?> schedule(EventExecutor loop, Runnable task, long delayMillis);
}

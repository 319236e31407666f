package io.simqtt.core.session;

import java.util.concurrent.TimeUnit;

/**
 * A session's will and expiry timers: while no connection is attached, its will goes out after
 * min(Will Delay, Session Expiry) and the session ends when its expiry passes. The timers are the
 * session's own fields ({@code willTimer}, {@code expiryTimer}, and {@code epoch}, which a timer
 * compares to know whether it still applies), kept there rather than in an object of their own so
 * that an idle session costs no more; this class is what reads and sets them. Every method runs as
 * a task of the session, and a timer that fires re-enters it as one.
 */
final class SessionTimers {
  private SessionTimers() {}

  /** The Will Delay Interval, cut to the session's expiry: the will goes out by then at last. */
  static long willDelaySeconds(Session s) {
    return Math.min(s.will.delaySeconds(), s.expiryInterval);
  }

  /** Without a connection the will goes out at {@code dueMillis} (wall clock); now if past. */
  static void scheduleWill(Session s, long dueMillis) {
    long delay = dueMillis - s.now();
    if (delay <= 0) {
      s.publishWill();
      return;
    }
    int at = s.epoch;
    s.willTimer = s.scheduleMillis(() -> {
      if (s.epoch == at) {
        s.publishWill();
        SessionPersistence.persist(s);
      }
    }, delay);
  }

  /**
   * When the will goes out if no connection attaches: the deadline its timer runs to while the
   * session is offline, else its delay from now (its connection is about to go); 0 without one.
   */
  static long willDeadline(Session s) {
    if (s.will == null) {
      return 0;
    }
    long now = s.now();
    return s.connection == null && s.willTimer != null
        ? now + s.willTimer.getDelay(TimeUnit.MILLISECONDS)
        : now + TimeUnit.SECONDS.toMillis(willDelaySeconds(s));
  }

  /**
   * When the session ends if no connection attaches: the deadline its expiry timer runs to while
   * it is offline, else its expiry interval from now (its connection is about to go).
   */
  static long expiryDeadline(Session s) {
    long now = s.now();
    return s.connection == null && s.expiryTimer != null
        ? now + s.expiryTimer.getDelay(TimeUnit.MILLISECONDS)
        : now + TimeUnit.SECONDS.toMillis(s.expiryInterval);
  }

  /** Without a connection the session ends at {@code deadlineMillis} (wall clock). */
  static void scheduleExpiry(Session s, long deadlineMillis) {
    if (s.expiryInterval != SessionExpiry.NEVER) {
      int at = s.epoch;
      s.expiryTimer = s.scheduleMillis(() -> expire(s, at), Math.max(0, deadlineMillis - s.now()));
    }
  }

  /** The offline session's expiry set at {@code at} is due: it ends (see SessionEnd#offline). */
  private static void expire(Session s, int at) {
    if (s.epoch == at && s.connection == null && !s.ended) {
      SessionEnd.offline(s);
    }
  }

  /** Both timers stop (a connection attached, the session moves, ends or redirects). */
  static void cancel(Session s) {
    if (s.willTimer != null) {
      s.willTimer.cancel(false);
      s.willTimer = null;
    }
    if (s.expiryTimer != null) {
      s.expiryTimer.cancel(false);
      s.expiryTimer = null;
    }
  }
}

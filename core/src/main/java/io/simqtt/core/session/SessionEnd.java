package io.simqtt.core.session;

/**
 * How a session ends: at once ({@link #now}: its will goes out, its state is dropped, it leaves
 * the store and the registry), or, with no connection attached ({@link #offline}), once its
 * shared-subscription deliveries have gone to other members (MQTT 5, 4.8.2), those only on disk
 * read off the event loop first. It keeps nothing of its own (what it needs are the session's
 * fields). Every method runs as a task of the session.
 */
final class SessionEnd {
  private SessionEnd() {}

  /** The session is over: its will goes out, its subscriptions and messages are dropped. */
  static void now(Session s) {
    SessionTimers.cancel(s);
    s.publishWill();
    s.clearState();
    SessionMove.end(s);
    s.ended = true;
    SessionPersistence.forget(s);
    leaveRegistry(s);
  }

  /**
   * The ended session leaves the registry, unless it still passes entries on: then it leaves once
   * the store let it go ({@link SessionPersistence#passedOn}).
   */
  static void leaveRegistry(Session s) {
    if (s.outbound == null || !s.outbound.isPassingOn()) {
      s.context.registry().remove(s);
    }
  }

  /**
   * The session ends while no connection is attached (its expiry, its connection's end with
   * Session Expiry 0, an administrator's discard, expired at recovery, a clean start here or on
   * another node once its connection, if any, is closed): its shared-subscription
   * deliveries go to other members first. When some lie only on disk, they are read off the event
   * loop and handed on a page at a time ({@link SharedRelease#allInPages}: those on the heap
   * first), and it ends once the last is; meanwhile it is {@link #isEnding ending}, and what
   * reaches it queues behind them, in order. It leaves its shared groups at
   * once, so that no more of their messages are chosen for it only to be handed on after the
   * read (one chosen just before still is). A connection for it waits for that read (see {@link
   * Session#beforeAttach}) and finds the session over.
   */
  static void offline(Session s) {
    SessionTimers.cancel(s);
    if (s.expiryInterval != SessionExpiry.AT_DISCONNECT) {
      // Ended before its expiry (a clean start here or elsewhere, an administrator's discard):
      // the store learns so before the first page goes, so that a crash while they go ends it at
      // recovery rather than bringing it back, to live on beside a new session (another node's
      // clean start was answered at once).
      s.expiryInterval = SessionExpiry.AT_DISCONNECT;
      SessionPersistence.saveRecord(s);
    }
    int at = s.epoch;
    Runnable later = () -> {
      if (s.epoch == at && s.connection == null && !s.ended) {
        offline(s);
      }
    };
    if (!SharedRelease.allInPages(s, later)) {
      SharedRelease.all(s);
      now(s);
    } else if (s.subscriptions != null) {
      s.subscriptions.removeShared();
      if (s.subscriptions.isEmpty()) {
        s.subscriptions = null;
      }
    }
  }

  /**
   * Whether what reaches the session now ends with it: it is {@link #isEnding ending}, and not
   * frozen for a move (a session with Session Expiry 0 whose connection another node took over
   * looks alike, and what reaches it follows it there).
   */
  static boolean endsArrivals(Session s) {
    return isEnding(s) && (s.migration == null || !s.migration.isFrozen());
  }

  /**
   * Whether the session is over but still reading its shared deliveries on disk to hand them on
   * ({@link #offline}): it had a connection, has none now and has Session Expiry 0, which ends a
   * session as its connection ends. Another node's claim or a healed partition finds no session
   * in it.
   */
  static boolean isEnding(Session s) {
    return !s.fresh
        && !s.ended
        && !s.moved
        && s.connection == null
        && s.expiryInterval == SessionExpiry.AT_DISCONNECT;
  }
}

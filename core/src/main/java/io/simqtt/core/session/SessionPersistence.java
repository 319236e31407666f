package io.simqtt.core.session;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What a session writes to the node's {@link SessionStore} and when: whether it is stored (its
 * {@link OutboundFlow} holds a {@link SessionJournal} exactly then), its own part after a change,
 * the whole of it when it becomes stored or its state was replaced, its deletion when it stops
 * being stored, and what it passes on from its entries ({@link PassOn}) until the new holders
 * have written it (its deletion in one unit with their copies). Also the way back from the store's threads: a durable packet id, a page of the
 * queue's backlog read or failed, each as a task of the session for the journal that asked.
 *
 * <p>It keeps nothing of its own (the journal is the flow's, the rest the session's fields), so a
 * session costs no more for it; in memory mode each call is one check of the registry's flag.
 * Every method runs as a task of the session.
 */
final class SessionPersistence {
  private SessionPersistence() {}

  /**
   * Whether {@code s} writes to the node's store (durable mode and Session Expiry Interval above
   * 0).
   */
  static boolean isStored(Session s) {
    return journal(s) != null;
  }

  /** The session's journal while it is stored, else null. */
  static SessionJournal journal(Session s) {
    return s.outbound == null ? null : s.outbound.journal();
  }

  /**
   * Writes the session's own part, after a change of it. A session that should be stored and was
   * not yet is written whole (it held messages already, or its expiry just turned above 0); one
   * that should not be any more (ended, moved away, expiry 0 without a connection) is deleted.
   * Does nothing in memory mode.
   *
   * <p>A stored session whose expiry turns 0 while a connection is attached (a DISCONNECT that
   * says so, a reconnect that asks for it and keeps the state) stays stored, its record saying 0,
   * until that connection ends, and the session with it: what it passes on then stays in the
   * store until its new holders have it ({@link PassOn}), its queue beyond the heap window stays
   * on disk and pages as before rather than being read whole onto the heap, and a crash meanwhile
   * ends it at recovery, as its connection ended. One whose state was replaced as a whole (a clean
   * start) has nothing on disk to keep, and leaves the store.
   */
  static void persist(Session s) {
    write(s, false);
  }

  /**
   * What the store holds of this session is replaced by what it is now, in one atomic unit: its
   * state was replaced as a whole (a clean start, a hand-over received or aborted), so its
   * entries are numbered afresh.
   */
  static void rewrite(Session s) {
    write(s, true);
  }

  private static void write(Session s, boolean whole) {
    SessionContext context = s.context;
    if (!context.registry().isDurable()) {
      return;
    }
    boolean replace = journal(s) != null;
    // Expiry 0 keeps a stored session stored only while a connection is attached (see above).
    boolean notKept = s.expiryInterval == SessionExpiry.AT_DISCONNECT
        && (s.connection == null || !replace || whole);
    if (s.ended || s.moved || notKept) {
      forget(s);
      return;
    }
    if (replace && !whole) {
      saveRecord(s);
      return;
    }
    // A backlog here is an import's (one of its own was cleared with the state this one
    // replaces): the unit keeps it on disk, not read (SessionStore#beginImport).
    OutboundFlow flow = s.outbound();
    // The store may still hold an earlier state whose pass-ons are not safe yet: replaced too,
    // all but the entries passed on (renumberAll).
    replace |= flow.isPassingOn();
    flow.setJournal(new SessionJournal(context.store(), s));
    context.store().writeSession(
        stored(s, s.inboundQos2 == null ? Set.of() : s.inboundQos2.snapshot()),
        flow.renumberAll(s.clientId()),
        replace);
  }

  /** Saves the session's own part, not its entries, when it is stored. */
  static void saveRecord(Session s) {
    if (journal(s) != null) {
      s.context.store().saveSession(s.clientId(), stored(s, Set.of()));
    }
  }

  /**
   * The session is no longer stored: the store deletes it and all it held, once what of its
   * queue was only on disk is back on the heap, and once what it passed on from its entries is
   * safe where it went ({@link #passedOn}).
   */
  static void forget(Session s) {
    if (s.outbound != null && s.outbound.leaveStore()) {
      delete(s);
    }
  }

  /**
   * The store lets the session go. One that moved to another node leaves its redirect there in
   * its place, in the same unit, so that the redirect comes back after a restart: peers resend
   * then what they had sent here for it and not seen acknowledged, and it passes that on.
   */
  private static void delete(Session s) {
    if (s.moved) {
      s.context.store().redirectSession(new StoredRedirect(s.clientId(), s.migration.movedTo,
          s.subscriptions == null ? Map.of() : s.subscriptions.snapshot(), s.migration.movedAt,
          s.lineage));
    } else {
      s.context.store().deleteSession(s.clientId());
    }
  }

  /** The session's redirect is over (see {@link #delete}): the store lets it go too. */
  static void redirectEnded(Session s) {
    if (s.context.registry().isDurable()) {
      s.context.store().endRedirect(s.clientId());
    }
  }

  /** Where a stored session collects the entries it passes on; null when it is not stored. */
  static List<StoredMessage> entriesToPassOn(Session s) {
    return journal(s) == null ? null : new ArrayList<>(0);
  }

  /**
   * Starts passing on {@code deliveries} of the session, whose {@code entries} they are, in units
   * (see {@link PassOn#start}); null when it is not stored (nothing to keep until then).
   */
  static List<PassOn> passOn(Session s, List<Delivery> deliveries, List<StoredMessage> entries) {
    return journal(s) == null
        ? null
        : PassOn.start(s, s.context.store(), s.outbound, deliveries, entries);
  }

  /**
   * Every new holder of what {@code p} passed on has written it, under the hold of {@code p}'s
   * receipt, released once this returns: the deletion of its entries written here reaches the
   * disk in one unit with their copies (see {@link OutboundFlow#passedOn}). A session that left
   * the store meanwhile is deleted from it now if this was its last pass-on (and none was lost:
   * then the store keeps it, to be found again after a restart; a redirect it left takes its
   * place, see {@link #delete}), and if it ended,
   * leaves the registry, which it stayed in so that a new connection would replace its state in
   * the store rather than a new session write beside it.
   */
  static void passedOn(Session s, PassOn p) {
    if (s.outbound.passedOn(p)) {
      if (!s.outbound.keepsLostPassOn()) {
        delete(s);
      }
      if (s.ended) {
        s.context.registry().remove(s);
      }
    }
  }

  /**
   * The session's own part as the store keeps it, with {@code inboundQos2} (which only a session
   * written whole gives).
   */
  private static StoredSession stored(Session s, Set<Integer> inboundQos2) {
    return new StoredSession(
        s.clientId(),
        s.subscriptions == null ? Map.of() : s.subscriptions.snapshot(),
        s.expiryInterval,
        s.will,
        offlineSinceMillis(s),
        s.outbound == null ? 0 : s.outbound.lastPacketId(),
        inboundQos2,
        s.permissions.client(),
        s.lineage);
  }

  /**
   * When the last connection went (0 while one is attached), as the store keeps it: a restart
   * counts the expiry and the will delay from it. Worked out from the expiry timer rather than
   * kept in a field of every session.
   */
  private static long offlineSinceMillis(Session s) {
    if (s.connection != null) {
      return 0;
    }
    if (s.expiryTimer != null && s.expiryInterval != SessionExpiry.NEVER) {
      return SessionTimers.expiryDeadline(s) - TimeUnit.SECONDS.toMillis(s.expiryInterval);
    }
    return s.now();
  }

  /**
   * The packet id of a QoS 2 PUBLISH that {@code j} held back is durable: the PUBLISH goes out
   * (see {@link SessionJournal#sendWhenDurable}).
   */
  static void packetIdDurable(Session s, SessionJournal j, int packetId) {
    if (s.outbound != null) {
      s.outbound.packetIdDurable(j, packetId, s.out());
    }
  }

  /** A page of the queue's backlog that {@code j} read came back (see {@link OutboundFlow}). */
  static void backlogRead(Session s, SessionJournal j, QueueBacklog b, List<StoredMessage> page) {
    if (s.outbound != null && s.outbound.journal() == j) {
      s.outbound.backlogRead(b, page, s.out());
    }
  }

  /**
   * A page read of the backlog failed (the store logged and counted it): it is asked for again
   * after a pause, and the session goes on meanwhile with what it has on the heap.
   */
  static void backlogReadFailed(Session s, SessionJournal j, QueueBacklog b) {
    if (s.outbound != null && s.outbound.journal() == j) {
      long pause = s.outbound.backlogReadFailed(b);
      if (pause > 0) {
        s.scheduleMillis(() -> backlogRetry(s, j, b), pause);
      }
    }
  }

  private static void backlogRetry(Session s, SessionJournal j, QueueBacklog b) {
    if (s.outbound != null && s.outbound.journal() == j) {
      s.outbound.retryBacklog(b, s.out());
    }
  }
}

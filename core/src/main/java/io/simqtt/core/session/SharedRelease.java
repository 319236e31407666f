package io.simqtt.core.session;

import java.util.List;

/**
 * What a session lets go of from its shared subscriptions (MQTT 5, 4.8.2): a message of a shared
 * group that the session will not finish goes to another member of the group, through the
 * router's {@link SharedRedelivery}. A stored session's entries of them stay in its store until
 * their new holders have written them, and leave it in one unit with those copies ({@link
 * PassOn}). Those only on disk are read off the event loop first ({@link
 * OutboundFlow#readFirst}), or, when the session ends, handed on a page at a time as they are
 * read ({@link #allInPages}).
 *
 * <p>It keeps nothing of its own. Every method runs as a task of the session.
 */
final class SharedRelease {
  private SharedRelease() {}

  /**
   * The session ends: every shared-subscription message it has not finished goes to another
   * member of its group, sent or not. A QoS 2 message whose PUBREC arrived stays (and ends with
   * the session): the client has it.
   */
  static void all(Session s) {
    release(s, true);
  }

  /**
   * The connection ended and the session lives on: shared-subscription messages still queued go
   * to another member of their group, while those already sent stay here, to be resent with the
   * same packet id and DUP=1 when the client comes back (MQTT 5, 4.8.2 and 4.3.3: a QoS 2 message
   * on the wire must never reach a second client under another id).
   */
  static void queued(Session s) {
    // With some only on disk, they are read off the event loop first: released if still offline.
    int at = s.epoch;
    Runnable later = () -> {
      if (s.epoch == at && s.connection == null && !s.ended && !s.moved) {
        release(s, false);
      }
    };
    if (s.outbound != null && !s.outbound.readFirst(true, later)) {
      release(s, false);
    }
  }

  /**
   * {@link #all} for a session that ends with shared deliveries only on disk: they go a page at
   * a time (see {@link OutboundFlow#handOnSharedFirst}), and {@code next} runs once none is left
   * there (it calls {@link #all} for what is left on the heap). Returns false, doing nothing, when
   * none lies on disk.
   */
  static boolean allInPages(Session s, Runnable next) {
    return s.outbound != null
        && s.outbound.handOnSharedFirst(s.clientId(), (taken, entries) -> handOn(s, taken, entries),
            next);
  }

  private static void release(Session s, boolean sentToo) {
    if (s.outbound == null) {
      return;
    }
    List<StoredMessage> entries = SessionPersistence.entriesToPassOn(s);
    List<Delivery> taken = s.outbound.takeShared(sentToo, s.clientId(), entries);
    if (!taken.isEmpty()) {
      handOn(s, taken, entries);
    }
  }

  /**
   * {@code taken} go to other members of their groups, in order, as {@link PassOn}s of their
   * {@code entries} (null, and nothing kept, when the session is not stored).
   */
  private static void handOn(Session s, List<Delivery> taken, List<StoredMessage> entries) {
    PassOn.handOut(SessionPersistence.passOn(s, taken, entries), taken,
        (d, receipt) -> s.context.sharedRedelivery().redeliver(d, s.clientId(), receipt));
  }
}

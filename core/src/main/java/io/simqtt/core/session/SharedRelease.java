package io.simqtt.core.session;

import java.util.List;

/**
 * What a session lets go of from its shared subscriptions (MQTT 5, 4.8.2): a message of a shared
 * group that the session will not finish goes to another member of the group, through the
 * router's {@link SharedRedelivery}. A stored session's entries of them stay in its store until
 * their new holders have written them, and leave it in one unit with those copies ({@link
 * PassOn}). Those only on disk are handed on a page at a time as they are read, off the event
 * loop, when the connection ends ({@link #queued}) or the session ends without one ({@link
 * #allInPages}), as the old state does at a clean start.
 *
 * <p>It keeps nothing of its own. Every method runs as a task of the session.
 */
final class SharedRelease {
  private SharedRelease() {}

  /**
   * The session ends: its shared-subscription messages still queued, the QoS 1 ones sent and not
   * acknowledged, and the QoS 2 ones whose PUBLISH still waits for the store (never sent) go to
   * another member of their group. A QoS 2 message sent stays and ends with the session: the
   * client may have it ([MQTT-4.8.2-5], see {@link OutboundFlow#takeShared}).
   */
  static void all(Session s) {
    release(s, true, false);
  }

  /**
   * The connection ended and the session lives on: shared-subscription messages still queued go
   * to another member of their group, while those already sent stay here, to be resent with the
   * same packet id and DUP=1 when the client comes back (MQTT 5, 4.8.2 and 4.3.3: a QoS 2 message
   * on the wire must never reach a second client under another id).
   */
  static void queued(Session s) {
    // With some only on disk, they go a page at a time, off the event loop; then what queued on
    // the heap meanwhile, if still offline. What the router gave back meanwhile, having no other
    // member, lies behind on disk and stays.
    int at = s.epoch;
    Runnable later = () -> {
      if (s.epoch == at && s.connection == null && !s.ended && !s.moved) {
        release(s, false, true);
      }
    };
    if (!inPages(s, true, later)) {
      release(s, false, true); // none on disk is left to hand on
    }
  }

  /**
   * {@link #all} for a session that ends with shared deliveries only on disk: they go a page at
   * a time (see {@link OutboundFlow#handOnSharedFirst}), and {@code next} runs once none is left
   * there (it calls {@link #all} for what is left on the heap). Returns false, doing nothing, when
   * none lies on disk.
   */
  static boolean allInPages(Session s, Runnable next) {
    return inPages(s, false, next);
  }

  private static boolean inPages(Session s, boolean livesOn, Runnable next) {
    return s.outbound != null
        && s.outbound.handOnSharedFirst(s.clientId(), livesOn,
            (taken, entries) -> handOn(s, taken, entries), next);
  }

  /** {@code onHeapOnly}: what lies on disk stays, else it is read onto the heap first. */
  private static void release(Session s, boolean sentToo, boolean onHeapOnly) {
    if (s.outbound == null) {
      return;
    }
    List<StoredMessage> entries = SessionPersistence.entriesToPassOn(s);
    List<Delivery> taken = onHeapOnly
        ? s.outbound.takeSharedOnHeap(sentToo, s.clientId(), entries)
        : s.outbound.takeShared(sentToo, s.clientId(), entries);
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
        (d, receipt) -> s.context.sharedRedelivery().redeliver(d, s.clientId(), 0, receipt));
  }
}

package io.simqtt.core.session;

import io.simqtt.core.cluster.Cluster;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The copies of messages a session got while it settles on a new node, so a second copy is
 * dropped. Right after a move a message can reach the session twice for one subscription:
 * directly (its new node already routes to it) and redirected from its old node (a forward sent
 * there before the route moved). A copy is known by its {@link MessageKey}: the copy for a shared
 * subscription and the one for the non-shared ones are each the client's own. A retained message
 * sent for a SUBSCRIBE ({@link Delivery#onSubscribe}) is made here for that request and is never
 * a second copy: it passes and is neither recorded (the routed copy after it is the client's own)
 * nor forgotten (taking it back does not let a second routed copy through).
 *
 * <p>Kept for twice the redirect time after it opens and after each redirected arrival (the old
 * node still redirects), and longer while a peer is away: the old node, running or restarted on its
 * store, redirects what peers send it again for the session up to the late-redirect time after the
 * move, so the window closes only once every peer has been back (linked both ways, done re-sending)
 * for twice the redirect time, or at the latest the late-redirect time after it opened plus twice
 * the redirect time, the margin the old node's redirect keeps from it otherwise too. At most {@link
 * #MAX_KEYS} keys; a session that never moves never has one.
 */
final class SeenMessages {
  /** Past this many keys the oldest are forgotten (bounds memory at a few MB per session). */
  static final int MAX_KEYS = 65_536;

  private final LinkedHashSet<MessageKey> keys = new LinkedHashSet<>();
  /** Twice the redirect time: how long second copies may still come after a redirected one. */
  private final long graceMillis;
  /** The latest a peer being away keeps the window open. */
  private final long heldAtMostUntilMillis;
  private long untilMillis;

  /**
   * A window opening at {@code nowMillis} over {@code known}, for a node whose redirect time is
   * {@code redirectMillis} and late-redirect time {@code lateRedirectMillis}.
   */
  SeenMessages(
      Collection<MessageKey> known, long nowMillis, long redirectMillis, long lateRedirectMillis) {
    this.graceMillis = 2 * redirectMillis;
    this.untilMillis = nowMillis + graceMillis;
    this.heldAtMostUntilMillis = nowMillis + lateRedirectMillis + graceMillis;
    known.forEach(this::add);
  }

  /** A redirected copy arrived at {@code nowMillis}: the old node still redirects. */
  void extendFrom(long nowMillis) {
    untilMillis = Math.max(untilMillis, nowMillis + graceMillis);
  }

  /**
   * Whether the window has closed: no second copy can arrive any more. {@code cluster} is asked
   * only once the window's own time is over, so within it this reads nothing shared.
   */
  boolean isOver(long nowMillis, Cluster cluster) {
    return nowMillis >= untilMillis
        && (nowMillis >= heldAtMostUntilMillis || cluster.wholeForMillis() >= graceMillis);
  }

  /** Whether {@code d} is a copy a window knows by its key: one that can come a second time. */
  static boolean isKnownByKey(Delivery d) {
    return d.message().isIdentified() && !d.onSubscribe();
  }

  /** Records a delivery; false when its copy was already seen (a second copy). */
  boolean firstTime(Delivery d) {
    return !isKnownByKey(d) || add(MessageKey.of(d));
  }

  /** Forgets {@code d}'s copy: it is to be taken as a first one again (see SessionMove#takeBack). */
  void forget(Delivery d) {
    if (isKnownByKey(d)) {
      keys.remove(MessageKey.of(d));
    }
  }

  private boolean add(MessageKey key) {
    if (!keys.add(key)) {
      return false;
    }
    if (keys.size() > MAX_KEYS) {
      Iterator<MessageKey> oldest = keys.iterator();
      oldest.next();
      oldest.remove();
    }
    return true;
  }

  List<MessageKey> keys() {
    return List.copyOf(keys);
  }
}

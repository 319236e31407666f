package io.simqtt.core.session;

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
 * Kept only for a bounded time and count after a move; a session that never moves never has one.
 */
final class SeenMessages {
  /** Past this many keys the oldest are forgotten (bounds memory at a few MB per session). */
  static final int MAX_KEYS = 65_536;

  private final LinkedHashSet<MessageKey> keys = new LinkedHashSet<>();
  private long untilMillis;

  SeenMessages(Collection<MessageKey> known, long untilMillis) {
    this.untilMillis = untilMillis;
    known.forEach(this::add);
  }

  /** Keeps the window open at least until {@code millis}: redirects still arrive. */
  void extendTo(long millis) {
    untilMillis = Math.max(untilMillis, millis);
  }

  /** Whether the window has closed: no second copy can arrive any more. */
  boolean isOver(long nowMillis) {
    return nowMillis >= untilMillis;
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

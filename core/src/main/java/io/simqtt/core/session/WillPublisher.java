package io.simqtt.core.session;

import io.simqtt.core.auth.Action;
import io.simqtt.core.auth.ClientIdentity;
import io.simqtt.core.auth.Permissions;
import io.simqtt.core.message.Message;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.routing.DeliveryReceipt;

/**
 * Publishes the wills of a node's sessions (one per node). A will is checked again against what
 * its client may do (the rules may have changed since CONNECT).
 *
 * <p>A stored session's will is kept in the store as due ({@link SessionStore#addWill}) before it
 * is routed, and removed only once every copy of it is durable: a {@link DeliveryReceipt} counts
 * each target's taking of it (a stored subscriber's entry, a forward's journal write), then the
 * store's durability point is awaited. The session's own record drops the will (or the session
 * is deleted) right after, so a kill -9 between the store's batches leaves the will in the store
 * until its copies are there, and recovery publishes it again ({@link #publishAgain}): a
 * duplicate at worst, never a loss. Kept under its own number apart from the session record, a
 * due will is never touched by what the session, or a new incarnation of its client id, writes or
 * deletes meanwhile, and its removal touches nothing else.
 *
 * <p>A stored session's will that comes due while its client's permissions are unknown (its
 * authorizer failed when the session was recovered, see {@link PermissionRetries}) cannot be
 * checked yet: it is kept in the store as due all the same, marked with whom to ask ({@link
 * DueWill#uncheckedFor}), and waits for the client's permissions, even once its session has
 * ended; then it goes out, or is dropped (counted as not authorized) and leaves the store if
 * the rules forbid it. Kept rather than dropped, as its client may well have the right; never
 * published unchecked. A kill or a stop meanwhile leaves it in the store, and the next start
 * asks for its client's permissions again.
 *
 * <p>Any other will (memory mode, a session that is not stored) is routed as it is, nothing
 * counted, nothing allocated beyond the message. Bounded: a will is kept until its receipt
 * completes, which every target's taking of it does (see {@link DeliveryReceipt}), or until its
 * client's permissions are known; the wills kept are counted ({@link BrokerMetrics#willsKept}).
 */
final class WillPublisher {
  private final SessionStore store;
  private final BrokerMetrics metrics;
  private final SessionClock clock;
  private final WillRoute route;
  private final PermissionRetries permissions;

  WillPublisher(SessionStore store, BrokerMetrics metrics, SessionClock clock, WillRoute route,
      PermissionRetries permissions) {
    this.store = store;
    this.metrics = metrics;
    this.clock = clock;
    this.route = route;
    this.permissions = permissions;
  }

  /**
   * Publishes the will of {@code clientId} now; {@code stored}: its session writes to the store
   * (then the will is kept there until its copies are durable, or while {@code permissions} are
   * unknown). Call before the session's record drops the will, from the session's own task, so
   * the store has it first.
   */
  void publish(String clientId, Will will, Permissions permissions, boolean stored) {
    if (stored && !permissions.isKnown()) {
      Message out = will.publishedAt(clock.millis());
      ClientIdentity who = permissions.client();
      DueWill due = new DueWill(clientId, store.addWill(clientId, out, who), out, who);
      metrics.willKept(1);
      this.permissions.whenKnown(who, known -> publishChecked(due, known));
      return;
    }
    Message m = will.message();
    if (!mayPublish(permissions, m)) {
      metrics.dropped(DropReason.NOT_AUTHORIZED);
      return;
    }
    Message out = will.publishedAt(clock.millis());
    if (!stored) {
      route.route(out, null);
      return;
    }
    DueWill due = new DueWill(clientId, store.addWill(clientId, out, null), out, null);
    metrics.willKept(1);
    route.route(out, removedOnceDurable(due));
  }

  /**
   * A will the store still kept at the start (its copies were not all durable at the crash, or
   * its client's permissions were unknown): published again, and removed once its copies are
   * durable. One kept unchecked is checked first against {@code resolved}, its client's
   * permissions under the rules in force now, and waits for them while they are unknown; {@code
   * resolved} is null for a will checked before it was kept.
   */
  void publishAgain(DueWill due, Permissions resolved) {
    metrics.willKept(1);
    if (due.uncheckedFor() == null) {
      metrics.willSentAgain();
      route.route(due.message(), removedOnceDurable(due));
    } else if (resolved.isKnown()) {
      publishCheckedAgain(due, resolved);
    } else {
      permissions.whenKnown(due.uncheckedFor(), known -> publishCheckedAgain(due, known));
    }
  }

  /** {@link #publishChecked} for a will kept through a restart: counted once it goes out. */
  private void publishCheckedAgain(DueWill due, Permissions known) {
    if (publishChecked(due, known)) {
      metrics.willSentAgain();
    }
  }

  /**
   * {@code due}, kept unchecked, is checked against its client's permissions, now known; returns
   * whether it went out.
   */
  private boolean publishChecked(DueWill due, Permissions known) {
    if (mayPublish(known, due.message())) {
      route.route(due.message(), removedOnceDurable(due));
      return true;
    }
    metrics.dropped(DropReason.NOT_AUTHORIZED);
    remove(due);
    return false;
  }

  private static boolean mayPublish(Permissions p, Message m) {
    return p.allows(Action.PUBLISH, m.topic(), m.qos(), m.retain());
  }

  private DeliveryReceipt removedOnceDurable(DueWill due) {
    // A retained will's retained write is queued by its routing: waited for like the copies.
    boolean retained = due.message().retain();
    return new DeliveryReceipt(written -> {
      if (written || retained) {
        store.afterDurable(() -> remove(due));
      } else {
        remove(due);
      }
    });
  }

  private void remove(DueWill due) {
    store.removeWill(due.clientId(), due.willId());
    metrics.willKept(-1);
  }
}

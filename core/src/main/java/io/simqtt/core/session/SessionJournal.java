package io.simqtt.core.session;

import io.simqtt.core.routing.DeliveryReceipt;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a stored session (Session Expiry Interval above 0, on a node with a durable {@link
 * SessionStore}) writes about the messages it holds: each QoS 1/2 delivery as an entry under a
 * sequence number rising per session, its packet id once sent, its removal once done. Also
 * holds back outbound QoS 2 PUBLISHes until their packet id is durable and PUBRELs until their
 * released mark is, so a restart resends them under the same id and the client's exactly-once
 * holds.
 *
 * <p>Exists only while the session is stored: its {@link OutboundFlow} holds it, and a session
 * with none writes nothing (memory mode costs one null field). Confined to its session's tasks;
 * the calls reach the store in the order the session makes them.
 */
final class SessionJournal {
  private final SessionStore store;
  private final Session session;
  private long lastSeq;
  /**
   * Outbound QoS 2 packet ids whose markSent (sent or released) is not durable yet: their PUBLISH
   * or PUBREL is not on the wire yet.
   */
  private Set<Integer> awaitingDurable;
  /**
   * The hold the entry written for the delivery being taken goes under (see {@link #carrying});
   * null otherwise.
   */
  private WriteHold carrying;

  SessionJournal(SessionStore store, Session session) {
    this.store = store;
    this.session = session;
  }

  /** A delivery the session now holds; returns its sequence number. */
  long add(Delivery d) {
    long seq = ++lastSeq;
    if (carrying == null) {
      store.addMessage(session.clientId(), seq, d);
    } else {
      store.addMessage(session.clientId(), seq, d, carrying);
    }
    return seq;
  }

  /**
   * While the delivery of {@code receipt} is taken (until {@code null}): the entry written for it,
   * if any, goes under the receipt's {@link WriteHold}, so it reaches the disk only in one unit
   * with what the receipt's last count writes (its publisher's QoS 2 id): a crash keeps that
   * exactly when it keeps every copy, and a resend after it is routed again exactly when a copy
   * was lost.
   */
  void carrying(DeliveryReceipt receipt) {
    carrying = receipt == null ? null : receipt.hold();
  }

  /**
   * New entries are numbered above {@code seq}: a recovered entry's, or one an earlier state of
   * the session kept in the store while it is passed on (see {@link PassOn#entries}).
   */
  void numberAbove(long seq) {
    lastSeq = Math.max(lastSeq, seq);
  }

  /** The last sequence number given out: every entry the session wrote has one up to it. */
  long lastSeq() {
    return lastSeq;
  }

  /** The next sequence number, for entries written again in a new order. */
  long nextSeq() {
    return ++lastSeq;
  }

  void sent(long seq, int packetId) {
    store.markSent(session.clientId(), seq, packetId, false);
  }

  void released(long seq, int packetId) {
    store.markSent(session.clientId(), seq, packetId, true);
  }

  void remove(long seq) {
    store.removeMessage(session.clientId(), seq);
  }

  /** Up to {@code limit} of the session's entries above {@code afterSeq}; blocks on the store. */
  List<StoredMessage> read(long afterSeq, int limit) {
    return store.messages(session.clientId(), afterSeq, limit);
  }

  /**
   * Reads a page of backlog {@code b} on a store thread and hands it back as a task of the session
   * ({@link SessionPersistence#backlogRead}), or that the read failed ({@link
   * SessionPersistence#backlogReadFailed}), unless this journal was replaced meanwhile.
   */
  void readLater(QueueBacklog b, long afterSeq, int limit) {
    store.readMessages(
        session.clientId(),
        afterSeq,
        limit,
        page -> session.execute(() -> SessionPersistence.backlogRead(session, this, b, page)),
        e -> session.execute(() -> SessionPersistence.backlogReadFailed(session, this, b)));
  }

  /** Runs {@code task} as a later task of the session. */
  void later(Runnable task) {
    session.execute(task);
  }

  void removeInboundQos2(int packetId) {
    store.removeInboundQos2(session.clientId(), packetId);
  }

  /**
   * An outbound QoS 2 PUBLISH just marked sent under {@code packetId}, or its PUBREL just marked
   * released: it goes out once that is durable, as a task of the session ({@link
   * SessionPersistence#packetIdDurable}), unless this journal was replaced meanwhile (the session
   * was written afresh: its entries were numbered again).
   */
  void sendWhenDurable(int packetId) {
    if (awaitingDurable == null) {
      awaitingDurable = new HashSet<>();
    }
    awaitingDurable.add(packetId);
    store.afterDurable(
        () -> session.execute(() -> SessionPersistence.packetIdDurable(session, this, packetId)));
  }

  /** Whether the PUBLISH or PUBREL under {@code packetId} still waits for the store. */
  boolean awaitsDurable(int packetId) {
    return awaitingDurable != null && awaitingDurable.contains(packetId);
  }

  /** The packet id is durable: returns whether its PUBLISH waited for that (and now does not). */
  boolean durable(int packetId) {
    if (awaitingDurable == null || !awaitingDurable.remove(packetId)) {
      return false;
    }
    if (awaitingDurable.isEmpty()) {
      awaitingDurable = null;
    }
    return true;
  }
}

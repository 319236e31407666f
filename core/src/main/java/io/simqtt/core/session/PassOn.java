package io.simqtt.core.session;

import io.simqtt.core.routing.DeliveryReceipt;
import java.util.List;

/**
 * Deliveries a stored session passes on from its own entries (what it held when it moves to
 * another node or yields to one after a healed partition; a shared-subscription delivery given to
 * another member of its group), and when the store lets those entries go. Each delivery handed on
 * counts on {@link #receipt} until its new holder has written it (another session's entry, a
 * link's forward journal) under the receipt's {@link WriteHold}; once every one has, {@link
 * SessionPersistence#passedOn} runs as a task of the session and writes the entries' deletion,
 * and then the hold is released: the new holders' copies and the deletion reach the disk in one
 * unit, so after a kill -9 the message is with its new holder or still here, never with both (a
 * restart here would send it again: to this client as well, a QoS 2 message under a new packet
 * id) and never with neither. A new holder that could not take its copy (a link that stopped:
 * the receipt is {@link DeliveryReceipt#lost}) leaves the entries where they are: a duplicate after
 * a restart rather than a loss.
 *
 * <p>While one is outstanding its session's {@link OutboundFlow} holds it: a session that leaves
 * the store meanwhile (it moved on, ended, its expiry turned 0) keeps what the store holds of it
 * until the last one completes (see {@link SessionPersistence#passedOn}), and one written whole
 * again meanwhile (a clean start, a connection back) writes {@link #entries} into the replacing
 * unit under their own seqs, numbering its new entries above them, so the replacement does not
 * take them off the disk before their new holders have them.
 */
final class PassOn {
  /**
   * The entries handed on, under their seqs, as queued entries (a restart that finds them
   * delivers them again, from the start: a duplicate at worst).
   */
  final List<StoredMessage> entries;
  final DeliveryReceipt receipt;

  private PassOn(Session session, SessionStore store, List<StoredMessage> entries) {
    this.entries = entries;
    // Nothing waits for durability: the deletion goes in the new holders' unit.
    this.receipt = new DeliveryReceipt(written -> { }, store.holdWrites(), session,
        () -> SessionPersistence.passedOn(session, this));
  }

  /**
   * Starts passing on {@code entries} of {@code session}, whose flow keeps track of it until it
   * completes; hand each delivery on counted on {@link #receipt}, then call {@link #handedOut}.
   */
  static PassOn start(
      Session session, SessionStore store, OutboundFlow flow, List<StoredMessage> entries) {
    PassOn p = new PassOn(session, store, entries);
    flow.passOnStarted(p);
    return p;
  }

  /** Every delivery is handed on: the receipt may complete once their holders have them. */
  void handedOut() {
    receipt.routed();
  }
}

package io.simqtt.core.session;

import io.simqtt.core.routing.DeliveryReceipt;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

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
   * The most entries one pass-on carries: what a move, a yield or an ending session passes on
   * goes in units of at most this many, each with its own hold and deletion, in order. A hold
   * keeps its writes, later writes of their keys and every action behind them off the disk until
   * its release, and is cut once the writer has had it for 1 s: a unit this size takes a few
   * milliseconds to hand on.
   */
  static final int MAX_ENTRIES = 1_000;

  /**
   * The entries handed on, under their seqs, as queued entries (a restart that finds them
   * delivers them again, from the start: a duplicate at worst).
   */
  final List<StoredMessage> entries;
  /** What goes on, in order: the deliveries of {@link #entries}. */
  private final List<Delivery> deliveries;
  final DeliveryReceipt receipt;

  private PassOn(
      Session session, SessionStore store, List<Delivery> deliveries, List<StoredMessage> entries) {
    this.deliveries = deliveries;
    this.entries = entries;
    // Nothing waits for durability: the deletion goes in the new holders' unit.
    this.receipt = new DeliveryReceipt(written -> { }, store.holdWrites(), session,
        () -> SessionPersistence.passedOn(session, this));
  }

  /**
   * Starts passing on {@code deliveries} of {@code session}, whose {@code entries} they are, in
   * units of at most {@link #MAX_ENTRIES}, each of which its flow keeps track of until it
   * completes; then {@link #handOut} hands them on. When the entries are not one a delivery (none
   * is expected to be missing; a delivery's entry has a seq), one unit: which entry goes with
   * which delivery is not known.
   */
  static List<PassOn> start(
      Session session,
      SessionStore store,
      OutboundFlow flow,
      List<Delivery> deliveries,
      List<StoredMessage> entries) {
    int n = entries.size();
    if (n <= MAX_ENTRIES || deliveries.size() != n) {
      return List.of(started(session, store, flow, deliveries, entries));
    }
    List<PassOn> units = new ArrayList<>((n + MAX_ENTRIES - 1) / MAX_ENTRIES);
    for (int from = 0; from < n; from += MAX_ENTRIES) {
      int to = Math.min(n, from + MAX_ENTRIES);
      units.add(started(session, store, flow, deliveries.subList(from, to),
          entries.subList(from, to)));
    }
    return units;
  }

  private static PassOn started(
      Session session,
      SessionStore store,
      OutboundFlow flow,
      List<Delivery> deliveries,
      List<StoredMessage> entries) {
    PassOn p = new PassOn(session, store, deliveries, entries);
    flow.passOnStarted(p);
    return p;
  }

  /**
   * Hands each delivery of {@code units} on through {@code handOn}, in order, counted on its
   * unit's receipt, each unit let complete as its last delivery is handed on; {@code units} null
   * (the session is not stored): {@code deliveries} go, counted on nothing.
   */
  static void handOut(
      List<PassOn> units,
      List<Delivery> deliveries,
      BiConsumer<Delivery, DeliveryReceipt> handOn) {
    if (units == null) {
      deliveries.forEach(d -> handOn.accept(d, null));
      return;
    }
    for (PassOn p : units) {
      for (Delivery d : p.deliveries) {
        handOn.accept(d, p.receipt);
      }
      p.receipt.routed();
    }
  }
}

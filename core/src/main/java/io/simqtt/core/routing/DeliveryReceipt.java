package io.simqtt.core.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Counts one published message's local deliveries down as each target session has taken it (and,
 * in durable mode, each forward to another node as the link has queued its journal write), so
 * the publisher learns when every entry it caused is written (durable mode: its PUBACK / PUBREC
 * waits for that, then for the store's durability point).
 *
 * <p>The publisher holds one count itself until routing is over ({@link #routed}), so the
 * receipt cannot complete while deliveries are still being handed out. A session counts down
 * in its delivery task whatever it did with the delivery (queued, sent, dropped, expired,
 * redirected, given to another member), so the receipt always completes. Thread-safe: sessions
 * count down on their own loops.
 */
public final class DeliveryReceipt {
  private static final AtomicIntegerFieldUpdater<DeliveryReceipt> PENDING =
      AtomicIntegerFieldUpdater.newUpdater(DeliveryReceipt.class, "pending");

  private volatile int pending = 1;
  /** Set before the count that carries it goes down, so whoever completes the receipt sees it. */
  private volatile boolean stored;
  /** Set, like {@link #stored}, before the count of the session that wrote it goes down. */
  private volatile boolean inboundQos2Written;
  /**
   * A receipt that carries an id: the session tasks handed out while routing, started once it is
   * over ({@link #hand}); touched by the publisher's thread only, while it routes.
   */
  private List<Runnable> handOutAfterRouting;
  private volatile boolean routingOver;
  /** One of the two is set: a receipt that carries no id is told only whether one was stored. */
  private final Consumer<Boolean> whenTaken;
  private final BiConsumer<Boolean, Boolean> whenTakenWithId;
  private final String publisherId;
  private final int packetId;

  /**
   * @param whenTaken runs once every target session took the message, on the thread of the last
   *     one (or the publisher's); given whether a stored session was among them (else nothing was
   *     written and there is no durability to wait for)
   */
  public DeliveryReceipt(Consumer<Boolean> whenTaken) {
    this.whenTaken = whenTaken;
    this.whenTakenWithId = null;
    this.publisherId = null;
    this.packetId = 0;
  }

  /**
   * A receipt for a QoS 2 message of a stored publisher: the stored session that takes it last,
   * if it writes an entry, writes the publisher's inbound id {@code packetId} in the same atomic
   * unit ({@link #inboundQos2}, {@link #lastToTake}), after every other copy: a crash keeps the id
   * only with every copy.
   *
   * @param whenTaken as for {@link #DeliveryReceipt(Consumer)}, also given whether a session
   *     wrote the publisher's id with its entry (then it is durable when that entry is, and the
   *     publisher need not write it itself)
   * @param publisherId the publisher's client id, or null when no id is to be written along
   */
  public DeliveryReceipt(
      BiConsumer<Boolean, Boolean> whenTaken, String publisherId, int packetId) {
    this.whenTaken = null;
    this.whenTakenWithId = whenTaken;
    this.publisherId = publisherId;
    this.packetId = packetId;
  }

  /**
   * The publisher's client id whose inbound QoS 2 id ({@link #inboundPacketId}) goes with the
   * entry of the target that takes this message last ({@link #lastToTake}), or null.
   */
  public String inboundQos2() {
    return publisherId;
  }

  public int inboundPacketId() {
    return packetId;
  }

  /**
   * Whether the count being taken now is the only one left: routing is over and every other
   * target has taken its copy (its writes queued). Read by a target before it counts down; two
   * targets taking their copies at once may both read false, never both true.
   */
  public boolean lastToTake() {
    return pending == 1;
  }

  /** A session wrote the publisher's inbound id with its entry. */
  public void inboundQos2Written() {
    inboundQos2Written = true;
  }

  /**
   * Runs {@code task}, a target session's taking of the message, on {@code session}: at once, or,
   * for a receipt
   * that carries its publisher's QoS 2 id, once routing is over. Then every target is counted
   * before any of them takes its copy, so the one that finds itself {@link #lastToTake} truly is,
   * even with a single target on another thread (which would otherwise run before the
   * publisher's own count went and never carry the id).
   */
  public void hand(Executor session, Runnable task) {
    if (publisherId == null || routingOver) {
      session.execute(task);
      return;
    }
    if (handOutAfterRouting == null) {
      handOutAfterRouting = new ArrayList<>(2);
    }
    handOutAfterRouting.add(() -> session.execute(task));
  }

  /** One more session (or a node's forward journal) is to take the message. */
  public void expect() {
    PENDING.incrementAndGet(this);
  }

  /**
   * A session took the message; {@code byStoredSession}: one that writes to the store (or a
   * forward journal that wrote it).
   */
  public void taken(boolean byStoredSession) {
    if (byStoredSession) {
      stored = true;
    }
    countDown();
  }

  /** Routing is over: the publisher's own count goes. */
  public void routed() {
    routingOver = true;
    List<Runnable> handOut = handOutAfterRouting;
    handOutAfterRouting = null;
    countDown(); // first: a target's lastToTake must not count the publisher's part
    if (handOut != null) {
      handOut.forEach(Runnable::run);
    }
  }

  private void countDown() {
    if (PENDING.decrementAndGet(this) == 0) {
      if (whenTaken != null) {
        whenTaken.accept(stored);
      } else {
        whenTakenWithId.accept(stored, inboundQos2Written);
      }
    }
  }
}

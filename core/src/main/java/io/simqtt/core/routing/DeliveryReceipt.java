package io.simqtt.core.routing;

import io.simqtt.core.session.WriteHold;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
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
 *
 * <p>A receipt may carry a {@link WriteHold}: its targets write their copies under it, and the
 * count that completes the receipt writes, as part of the hold ({@link WriteHold#releaseAfter}),
 * what must be durable exactly when every copy is (a publisher's QoS 2 id, a peer frame's seen
 * record, the deletion of the entries a session passed on), then releases it. Each target wrote
 * before it counted down, so every copy is queued to the store before the release, and all reach
 * the disk in one unit.
 */
public final class DeliveryReceipt {
  private static final AtomicIntegerFieldUpdater<DeliveryReceipt> PENDING =
      AtomicIntegerFieldUpdater.newUpdater(DeliveryReceipt.class, "pending");

  private volatile int pending = 1;
  /** Set before the count that carries it goes down, so whoever completes the receipt sees it. */
  private volatile boolean stored;
  /** Set as {@link #stored}: a target that was to keep a copy could not. */
  private volatile boolean lost;
  private final Consumer<Boolean> whenTaken;
  private final WriteHold hold;
  /** Where {@link #last} runs, or null: on the completing thread. */
  private final Executor lastOn;
  private final Runnable last;

  /**
   * @param whenTaken runs once every target session took the message, on the thread of the last
   *     one (or the publisher's); given whether a stored session was among them (else nothing was
   *     written and there is no durability to wait for)
   */
  public DeliveryReceipt(Consumer<Boolean> whenTaken) {
    this(whenTaken, null, null, null);
  }

  /**
   * A receipt whose targets write under {@code hold} (null: none): once every one took the
   * message, {@code last} (null: nothing) writes (on the completing thread) what goes into one
   * unit with their copies, or without a hold what must be queued behind them, then the hold is
   * released, then {@code whenTaken} runs.
   */
  public DeliveryReceipt(Consumer<Boolean> whenTaken, WriteHold hold, Runnable last) {
    this(whenTaken, hold, null, last);
  }

  /**
   * As {@link #DeliveryReceipt(Consumer, WriteHold, Runnable)}, with {@code last}, the release
   * and {@code whenTaken} run on {@code lastOn}: what {@code last} writes is known on that
   * thread only (a session's entries), and the store waits for the release meanwhile. If {@code
   * lastOn} refuses the task (shut down), the hold is released and nothing else runs.
   */
  public DeliveryReceipt(
      Consumer<Boolean> whenTaken, WriteHold hold, Executor lastOn, Runnable last) {
    this.whenTaken = whenTaken;
    this.hold = hold;
    this.lastOn = lastOn;
    this.last = last;
  }

  /**
   * What the targets write their copies under, or null. The store may cut the hold ({@link
   * WriteHold}: a release that is late, a full queue, a blocking read behind it), counted; then
   * the copies may reach the disk ahead of what the last count writes.
   */
  public WriteHold hold() {
    return hold;
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

  /**
   * A target that was to keep a copy could not (a link that stopped, or none): nothing was
   * written for it. Whoever completes the receipt sees it in {@link #isLost}.
   */
  public void lost() {
    lost = true;
    countDown();
  }

  /**
   * Whether a target counted {@link #lost}: what {@code last} would let go of (entries passed
   * on) must stay.
   */
  public boolean isLost() {
    return lost;
  }

  /** Routing is over: the publisher's own count goes. */
  public void routed() {
    countDown();
  }

  private void countDown() {
    if (PENDING.decrementAndGet(this) != 0) {
      return;
    }
    if (lastOn != null) {
      try {
        lastOn.execute(this::complete);
      } catch (RejectedExecutionException e) {
        // Its loop is shut down: what last would write is not known here (it is left undone: a
        // pass-on's entries stay, a duplicate at worst), and the store must not wait for it.
        if (hold != null) {
          hold.release();
        }
      }
    } else {
      complete();
    }
  }

  private void complete() {
    if (hold == null) {
      if (last != null) {
        last.run();
      }
    } else {
      hold.releaseAfter(last); // whatever the last write did: the store must not wait for it
    }
    whenTaken.accept(stored);
  }
}

package io.simqtt.core.session;

import io.simqtt.core.message.Message;
import io.simqtt.core.routing.DeliveryReceipt;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Where sessions publish their wills: held from the node's start until {@link #open}, then passed
 * on. Recovery from the store ends sessions that expired while the node was down, sends wills
 * whose delay passed meanwhile and sends again the wills whose copies were not durable at the
 * crash (see {@link WillPublisher}), before the cluster has started: published then, a will would
 * reach this node's sessions only, as no peer's routes are known yet. So they wait until the
 * cluster has every reachable peer's routes (the point where the listeners open), and go out in
 * the order they came. A stored session's will waiting here is in the store already, so a kill
 * during the wait loses nothing.
 *
 * <p>What is held is bounded by the sessions recovered and the wills the store kept: a session
 * has at most one will, and it is given here once. Thread-safe: wills come from every event loop.
 */
public final class StartupWills implements WillRoute {
  private record Held(Message will, DeliveryReceipt receipt) {}

  private final BiConsumer<Message, DeliveryReceipt> router;
  /** Guarded by this; null once open. */
  private List<Held> held = new ArrayList<>();

  /** @param router routes a will, counting each target on the receipt (null: none) */
  public StartupWills(BiConsumer<Message, DeliveryReceipt> router) {
    this.router = router;
  }

  @Override
  public void route(Message will, DeliveryReceipt receipt) {
    synchronized (this) {
      if (held != null) {
        held.add(new Held(will, receipt));
        return;
      }
    }
    send(will, receipt);
  }

  private void send(Message will, DeliveryReceipt receipt) {
    router.accept(will, receipt);
    if (receipt != null) {
      receipt.routed();
    }
  }

  /**
   * The cluster knows its peers' routes: what was held goes out, and from now on every will at
   * once. Returns how many were held.
   */
  public int open() {
    List<Held> due;
    synchronized (this) {
      due = held;
      held = null;
    }
    if (due == null) {
      return 0;
    }
    due.forEach(h -> send(h.will(), h.receipt()));
    return due.size();
  }
}

package io.simqtt.core.session;

import io.simqtt.core.message.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Where sessions publish their wills: held from the node's start until {@link #open}, then passed
 * on. Recovery from the store ends sessions that expired while the node was down and sends wills
 * whose delay passed meanwhile, before the cluster has started: published then, a will would
 * reach this node's sessions only, as no peer's routes are known yet. So they wait until the
 * cluster has every reachable peer's routes (the point where the listeners open), and go out in
 * the order they came.
 *
 * <p>What is held is bounded by the sessions recovered: a session has at most one will, and it
 * is given here once. Thread-safe: wills come from every event loop.
 */
public final class StartupWills implements Consumer<Message> {
  private final Consumer<Message> publisher;
  /** Guarded by this; null once open. */
  private List<Message> held = new ArrayList<>();

  public StartupWills(Consumer<Message> publisher) {
    this.publisher = publisher;
  }

  @Override
  public void accept(Message will) {
    synchronized (this) {
      if (held != null) {
        held.add(will);
        return;
      }
    }
    publisher.accept(will);
  }

  /**
   * The cluster knows its peers' routes: what was held goes out, and from now on every will at
   * once. Returns how many were held.
   */
  public int open() {
    List<Message> due;
    synchronized (this) {
      due = held;
      held = null;
    }
    if (due == null) {
      return 0;
    }
    due.forEach(publisher);
    return due.size();
  }
}

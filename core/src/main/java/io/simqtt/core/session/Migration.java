package io.simqtt.core.session;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A session's part in moving between nodes. A session holds one only while some of it applies,
 * so a session that never moves pays a null field. Confined to the session's tasks.
 */
final class Migration {
  /** The state was sent to another node and is not confirmed yet: the session is frozen. */
  HandOver pending;
  /**
   * The node the session is leaving for (the new owner confirmed the hand-over, or a healed
   * partition found it a later owner to yield to) while what it holds on disk goes there a page
   * at a time ({@link SessionMove#leaveInPages}): until then the session stays as frozen,
   * queueing what arrives behind it.
   */
  String leavingTo;
  /** Other nodes' hand-over requests that arrived while frozen, answered once it thaws. */
  final List<Request> waiting = new ArrayList<>(0);
  /** The session lives on this node now; what reaches it here is redirected there. */
  String movedTo;
  /** When it moved ({@link Session#now}): its redirect time counts from then. */
  long movedAt;
  /** Recently installed from another node: second copies of a message are dropped. */
  SeenMessages seen;
  /** A later owner found while frozen: the session yields to it if the hand-over is aborted. */
  String yieldTo;
  /**
   * A healed partition found this the later owner while frozen for a hand-over: the window for
   * second copies ({@link #seen}) opens if the session thaws (see {@link SessionMove#thaw}).
   */
  boolean redirectsOnThaw;
  /**
   * An administrator discarded the session while frozen: it ends if the hand-over is aborted (a
   * hand-over that goes ahead takes it to its new node, which its entries are being read for).
   */
  boolean endIfAborted;

  boolean isEmpty() {
    return pending == null
        && leavingTo == null
        && waiting.isEmpty()
        && movedTo == null
        && seen == null
        && yieldTo == null
        && !redirectsOnThaw
        && !endIfAborted;
  }

  /** Whether the session is frozen for a hand-over, or leaving after one ({@link #leavingTo}). */
  boolean isFrozen() {
    return pending != null || leavingTo != null;
  }

  /** The waiting requests are answered "no session here" (their claims are over). */
  void dismissWaiting() {
    for (Request r : waiting) {
      r.result().complete(null);
    }
    waiting.clear();
  }

  /** A hand-over request from another node. */
  record Request(boolean cleanStart, CompletableFuture<HandOver> result) {}
}

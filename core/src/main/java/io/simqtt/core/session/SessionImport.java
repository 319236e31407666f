package io.simqtt.core.session;

import java.util.ArrayList;
import java.util.List;

/**
 * A session's queued messages arriving from the node that held it, in pages behind the rest of
 * its state, before this node installs it. With a durable store and no session of the client
 * here, each page goes to the store as it comes, as the client's entries from {@link #FIRST_SEQ}
 * on, and only their range and counts stay on the heap: the installed session reads them back
 * like any backlog, so a move costs a page of memory, not the queue. The store marks the import
 * as begun first ({@link SessionStore#beginImport}); the session written whole at the install
 * ends the mark in the same unit, so a crash before that leaves a mark by which recovery deletes
 * the entries, and the node that sent them, never told of an install, keeps the session. An
 * import that ends otherwise (the claim refused, timed out, its link lost) deletes them at once
 * ({@link #abandon}).
 *
 * <p>In memory mode, or while a session of the client is here already (its entries could lie in
 * that range after an earlier move, and the install replaces them whole), the pages stay on the
 * heap as before, bounded by the sender's queue bound.
 *
 * <p>Thread-safe: pages come on the link's thread, an abandon from a claim's timer.
 */
public final class SessionImport {
  /**
   * The seq of the first imported entry: far above the seqs a session numbers its own entries
   * with (from 1, renumbered from 1 whenever it is written whole), so the installed session's
   * heap entries go below and its new ones above.
   */
  public static final long FIRST_SEQ = 1L << 62;

  private final SessionStore store;
  private final String clientId;
  /** Null when the pages go to the store. */
  private List<Delivery> onHeap;
  private long count;
  private long shared;
  private long lastSeq = FIRST_SEQ - 1;
  private boolean begun;
  private boolean over;

  /** {@code toDisk}: the pages go to {@code store} (see the class comment), else to the heap. */
  SessionImport(SessionStore store, String clientId, boolean toDisk) {
    this.store = store;
    this.clientId = clientId;
    this.onHeap = toDisk ? null : new ArrayList<>();
  }

  /** The next queued messages, in order; ignored once the import is over. */
  public synchronized void add(List<Delivery> page) {
    if (over || page.isEmpty()) {
      return;
    }
    if (onHeap != null) {
      onHeap.addAll(page);
      return;
    }
    if (!begun) {
      begun = true;
      store.beginImport(clientId);
    }
    for (Delivery d : page) {
      store.addMessage(clientId, ++lastSeq, d);
      count++;
      if (d.sharedGroup() != null) {
        shared++;
      }
    }
  }

  /**
   * The whole state: {@code head} (the first part, with the messages the holder kept on its heap)
   * followed by what came in pages. The import is over: the session installed from the result
   * ends the store's mark when it is written whole.
   */
  public synchronized SessionSnapshot finish(SessionSnapshot head) {
    over = true;
    if (onHeap != null && !onHeap.isEmpty()) {
      List<Delivery> queued = new ArrayList<>(head.queued().size() + onHeap.size());
      queued.addAll(head.queued());
      queued.addAll(onHeap);
      onHeap = null;
      return head.withOutbound(
          new OutboundState(head.inflight(), queued, head.lastPacketId()), null);
    }
    if (count == 0) {
      return head;
    }
    return head.withOutbound(
        head.outbound(), new StoredBacklog(clientId, count, shared, FIRST_SEQ - 1, lastSeq));
  }

  /**
   * The state will not be installed here: what of it went to the store goes, with the mark. Also
   * after {@link #finish}, for a state that was refused after all.
   */
  public synchronized void abandon() {
    over = true;
    onHeap = null;
    if (begun) {
      begun = false;
      store.abandonImport(clientId);
    }
  }
}

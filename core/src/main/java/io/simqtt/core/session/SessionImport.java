package io.simqtt.core.session;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

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
 * <p>Thread-safe: pages come on the link's thread, an abandon from a claim's timer or lock.
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
  /** Held while a page is taken; an abandon never waits for it (see {@link #abandon}). */
  private final ReentrantLock taking = new ReentrantLock();
  /** Set once the import is over (finished or abandoned): later pages are ignored. */
  private volatile boolean over;
  /** Set by {@link #abandon}: what went to the store goes (once no page is being taken). */
  private volatile boolean abandoned;
  // Guarded by taking:
  /** Null when the pages go to the store. */
  private List<Delivery> onHeap;
  /**
   * The newest pages' message identities, for the new owner's window that drops second copies
   * (a holder that resumes the session after all redirects it whole), bounded as that window is.
   */
  private final ArrayDeque<MessageKey> keys = new ArrayDeque<>();
  private long count;
  private long shared;
  private long lastSeq = FIRST_SEQ - 1;
  private boolean begun;

  /**
   * {@code toDisk}: the pages go to {@code store} (see the class comment), else to the heap; see
   * {@link SessionRegistry#importSession} for when.
   */
  public SessionImport(SessionStore store, String clientId, boolean toDisk) {
    this.store = store;
    this.clientId = clientId;
    this.onHeap = toDisk ? null : new ArrayList<>();
  }

  /**
   * The next queued messages, in order; ignored once the import is over. Waits while the store's
   * writer is full.
   */
  public void add(List<Delivery> page) {
    taking.lock();
    try {
      if (over || page.isEmpty()) {
        return;
      }
      for (Delivery d : page) {
        keys.addLast(MessageKey.of(d.message()));
        if (keys.size() > SeenMessages.MAX_KEYS) {
          keys.removeFirst();
        }
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
    } finally {
      taking.unlock();
    }
    if (abandoned) {
      cleanUp();
    }
  }

  /**
   * The whole state: {@code head} (the first part, with the messages the holder kept on its heap)
   * followed by what came in pages. The import is over: the session installed from the result
   * ends the store's mark when it is written whole.
   */
  public SessionSnapshot finish(SessionSnapshot head) {
    taking.lock();
    try {
      over = true;
      List<MessageKey> seen = new ArrayList<>(head.seen().size() + keys.size());
      seen.addAll(head.seen());
      seen.addAll(keys);
      if (onHeap != null) {
        List<Delivery> queued = new ArrayList<>(head.queued().size() + onHeap.size());
        queued.addAll(head.queued());
        queued.addAll(onHeap);
        onHeap = null;
        return head.with(
            new OutboundState(head.inflight(), queued, head.lastPacketId()), seen, null);
      }
      return head.with(head.outbound(), seen, count == 0
          ? null
          : new StoredBacklog(clientId, count, shared, FIRST_SEQ - 1, lastSeq));
    } finally {
      taking.unlock();
    }
  }

  /**
   * The state will not be installed here: what of it went to the store goes, with the mark. Also
   * after {@link #finish}, for a state that was refused after all. Never waits for a page being
   * taken (its caller may hold the claims' lock): that page's taker cleans up after it.
   */
  public void abandon() {
    over = true;
    abandoned = true;
    cleanUp();
  }

  /** Deletes what went to the store, unless a page is being taken (its taker calls again). */
  private void cleanUp() {
    if (!taking.tryLock()) {
      return;
    }
    try {
      onHeap = null;
      if (begun) {
        begun = false;
        store.abandonImport(clientId);
      }
    } finally {
      taking.unlock();
    }
  }
}

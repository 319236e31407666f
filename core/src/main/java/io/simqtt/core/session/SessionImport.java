package io.simqtt.core.session;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * A session's queued messages arriving from the node that held it, in pages behind the rest of
 * its state, before this node installs it. With a durable store, each page goes to the store as
 * it comes, as the client's entries from a first seq on ({@link #FIRST_SEQ}, or above what a
 * session of the client here numbered: {@link #firstSeqAbove}), and only their range and counts
 * stay on the heap: the installed session reads them back like any backlog, so a move costs a
 * page of memory, not the queue. The store marks the import as begun first, with its first seq
 * ({@link SessionStore#beginImport}); the session written whole at the install ends the mark in
 * the same unit and keeps the entries while it replaces what else the store held of the client,
 * so a crash before that leaves a mark by which recovery deletes exactly the entries, and the
 * node that sent them, never told of an install, keeps the session. An import that ends
 * otherwise (the claim refused, timed out, its link lost) deletes them at once ({@link
 * #abandon}).
 *
 * <p>In memory mode, for a connection that keeps no session, and in the rare cases {@link
 * #firstSeqAbove} names, the pages stay on the heap as before, bounded by the sender's queue
 * bound.
 *
 * <p>Thread-safe: pages come on the link's thread, an abandon from a claim's timer or lock.
 */
public final class SessionImport {
  /**
   * The seq of the first imported entry when no session of the client is here: far above the
   * seqs a session numbers its own entries with (from 1, renumbered from 1 whenever it is written
   * whole), so the installed session's heap entries go below and its new ones above.
   */
  public static final long FIRST_SEQ = 1L << 62;
  /**
   * Seqs left free below an import above a session of the client here: for what that session
   * numbers while the pages come (it goes on taking messages until the install replaces it) and
   * for the installed state's heap part, numbered below the import. Neither comes near 2^32, nor
   * does an import's own queue: it is also what an import owns of the seqs while it is active, so
   * a second import of the client begun meanwhile goes above it ({@link #firstSeqAbove}).
   */
  public static final long ROOM = 1L << 32;
  /**
   * The highest first seq an import takes. The installed session numbers its new entries above
   * the import for as long as it lives, and 2^61 - 1 seqs are left for that; a chain of moves that
   * each land on a session still holding entries climbs by {@link #ROOM} at least per move, so
   * some 2^29 of them in a row end on the heap instead of past the seqs' end.
   */
  static final long LAST_FIRST_SEQ = FIRST_SEQ + (FIRST_SEQ >> 1);

  private final SessionStore store;
  private final String clientId;
  /**
   * Begins the import in the store as the first page comes and returns its first seq, or 0 when
   * the pages stay on the heap after all; null when they stay on the heap anyway.
   */
  private final LongSupplier begin;
  /** Held while a page is taken; an abandon never waits for it (see {@link #abandon}). */
  private final ReentrantLock taking = new ReentrantLock();
  /** Set once the import is over (finished or abandoned): later pages are ignored. */
  private volatile boolean over;
  /** Set by {@link #abandon}: what went to the store goes (once no page is being taken). */
  private volatile boolean abandoned;
  // Guarded by taking:
  /** Null while the pages go to the store, or until the first page says where they go. */
  private List<Delivery> onHeap;
  /**
   * The newest pages' copies ({@link MessageKey}), for the new owner's window that drops second
   * copies (a holder that resumes the session after all redirects it whole), bounded as that
   * window is.
   */
  private final ArrayDeque<MessageKey> keys = new ArrayDeque<>();
  private long count;
  private long bytes;
  private long shared;
  /** The first entry's seq once the import began in the store; 0 before and after. */
  private long firstSeq;
  private long lastSeq;

  /**
   * Pages for {@code store} as entries of {@code clientId}, the import begun by {@code begin} as
   * the first page comes; {@link SessionRegistry#importSession} says when.
   */
  SessionImport(SessionStore store, String clientId, LongSupplier begin) {
    this.store = store;
    this.clientId = clientId;
    this.begin = begin;
  }

  /** Pages that stay on the heap (memory mode, a connection that keeps no session). */
  public static SessionImport onHeap(String clientId) {
    SessionImport i = new SessionImport(SessionStore.MEMORY, clientId, null);
    i.onHeap = new ArrayList<>();
    return i;
  }

  /**
   * Where an import of a client's queued entries begins when a session of the client here holds
   * entries in the store up to {@code highest} (0 for none) and the highest import of the client
   * still active (begun, neither installed nor deleted: {@link SessionStore#lastImport}) began at
   * {@code active} (0 for none): {@link #FIRST_SEQ}, or {@link #ROOM} above both, so two imports
   * of one client that overlap (a claim timed out and its client back at once while the first
   * import's last page is still being taken, two holders after a healed partition) each write a
   * range of their own ({@link #rangeEnd}). 0 when the pages are to stay on the heap: {@code
   * highest} is negative (that session is frozen for a hand-over, and what queued there meanwhile
   * goes behind the state, on the heap), or the start would be too close to the seqs' end (past
   * {@link #LAST_FIRST_SEQ}).
   */
  static long firstSeqAbove(long highest, long active) {
    if (highest < 0) {
      return 0;
    }
    long above = Math.max(highest, active);
    if (above > LAST_FIRST_SEQ - ROOM) {
      return 0;
    }
    return Math.max(FIRST_SEQ, above + ROOM);
  }

  /**
   * The end (exclusive) of the seqs an import that began at {@code first} owns: {@link #ROOM}
   * seqs, or up to the next import of its client, beginning at {@code next} (0 for none), should
   * that be nearer ({@link #firstSeqAbove} never begins one nearer; the bound keeps an abandon or
   * a recovery off another import's entries whatever marks it finds). An abandon or a recovery
   * deletes exactly these, and a deletion of the client's other entries leaves them.
   */
  public static long rangeEnd(long first, long next) {
    return next > first ? Math.min(first + ROOM, next) : first + ROOM;
  }

  /**
   * The next queued messages, in order; ignored once the import is over. Waits while the store's
   * writer is full, and for the first page while the import begins (see {@link
   * SessionRegistry#importSession}).
   */
  public void add(List<Delivery> page) {
    taking.lock();
    try {
      if (over || page.isEmpty()) {
        return;
      }
      for (Delivery d : page) {
        if (SeenMessages.isKnownByKey(d)) {
          keys.addLast(MessageKey.of(d));
          if (keys.size() > SeenMessages.MAX_KEYS) {
            keys.removeFirst();
          }
        }
      }
      if (onHeap == null && firstSeq == 0) {
        firstSeq = begin.getAsLong();
        if (firstSeq == 0) {
          onHeap = new ArrayList<>();
        }
        lastSeq = firstSeq - 1;
      }
      if (onHeap != null) {
        onHeap.addAll(page);
        return;
      }
      for (Delivery d : page) {
        store.addMessage(clientId, ++lastSeq, d);
        count++;
        bytes += d.queuedBytes();
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
   * ends the store's mark when it is written whole (not one written whole before).
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
      if (firstSeq != 0) {
        // Only now is a write of the session whole its install (see SessionStore#finishImport).
        store.finishImport(clientId, firstSeq);
      }
      return head.with(head.outbound(), seen, count == 0
          ? null
          : new StoredBacklog(clientId, count, bytes, shared, firstSeq - 1, lastSeq));
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
      if (firstSeq != 0) {
        store.abandonImport(clientId, firstSeq);
        firstSeq = 0;
      }
    } finally {
      taking.unlock();
    }
  }
}

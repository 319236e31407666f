package io.simqtt.core.session;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads, a page at a time, the queued messages of a session frozen for a move that lie on this
 * node's disk only (its {@link QueueBacklog}), for the new owner: so a session with a million
 * queued messages moves with a page of them on the heap, not all. It changes neither the store
 * nor the frozen backlog: a move that does not happen leaves both as they were. The entries the
 * backlog still owes as dropped by count ({@code drop-oldest}, counted already) are skipped, and
 * so is what queued behind it while frozen (that follows the session once the move is
 * confirmed), and so are the entries a hand-on gave other members whose deletion may not have
 * reached the store yet. Bytes owed ({@link QueueBacklog#owedBytes}) are not: which entries pay
 * them, and so which drops to count, is known only as they are read, so they go to the new
 * owner, which counts them against its own bound. One page at a time: the caller asks for the
 * next once it has sent the last.
 */
public final class BacklogCursor {
  /** One page read; {@code last} once nothing of the backlog is left to read after it. */
  public interface Page {
    void accept(List<Delivery> deliveries, boolean last);
  }

  private final SessionStore store;
  private final String clientId;
  private final long lastSeq;
  /** Entries a hand-on gave other members: see {@link QueueBacklog#handedOnSeqs}. */
  private final long[] handedOnSeqs;
  /** Touched only by the page being read (one at a time), on the store's reader thread. */
  private long afterSeq;
  private long toSkip;

  BacklogCursor(SessionStore store, String clientId, QueueBacklog b) {
    this.store = store;
    this.clientId = clientId;
    this.afterSeq = b.afterSeq;
    this.lastSeq = b.lastSeq;
    this.handedOnSeqs = b.handedOnSeqs;
    this.toSkip = b.owedDrops;
  }

  /**
   * Reads up to {@code limit} entries on the store's reader thread and gives their deliveries to
   * {@code page} there, or the error to {@code failed} (the cursor is where it was: asking again
   * reads the same page).
   */
  public void next(int limit, Page page, Consumer<RuntimeException> failed) {
    store.readMessages(clientId, afterSeq, limit, entries -> {
      List<Delivery> out = new ArrayList<>(entries.size());
      for (StoredMessage m : entries) {
        if (m.seq() > lastSeq) {
          break;
        }
        afterSeq = m.seq();
        if (m.packetId() != 0) {
          continue; // went out before a restart: the window has it, not the queue
        }
        if (QueueBacklog.holds(handedOnSeqs, m.seq())) {
          continue; // another member has it, or will; its entry leaves the store then
        }
        if (toSkip > 0) {
          toSkip--;
          continue;
        }
        out.add(m.delivery());
      }
      if (entries.size() < limit || entries.get(entries.size() - 1).seq() >= lastSeq) {
        afterSeq = lastSeq; // the store holds no more of it
      }
      page.accept(out, afterSeq >= lastSeq);
    }, failed);
  }
}

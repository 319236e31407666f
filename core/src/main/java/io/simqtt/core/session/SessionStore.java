package io.simqtt.core.session;

import io.simqtt.core.auth.ClientIdentity;
import io.simqtt.core.message.Message;
import java.util.List;
import java.util.function.Consumer;

/**
 * Where the persistent sessions of a node are kept beyond its heap, beside {@link
 * io.simqtt.core.retain.RetainedStore}. {@link #MEMORY} keeps nothing (the default: one node in
 * memory); a durable implementation writes to disk so sessions survive a restart, a kill -9 and a
 * power cut.
 *
 * <p>Only sessions that outlive their connection (Session Expiry Interval above 0) are kept. A
 * session writes its own changes, as tasks of itself, so the calls for one client id come in the
 * order the session made them; implementations apply them in that order. Each QoS 1/2 message a
 * session holds (queued or in flight) is an entry under a sequence number the session gives it,
 * rising per session, so the entries read back in the session's order.
 *
 * <p>Durability is asked for with {@link #afterDurable}: its action runs once every write made
 * before the call, on any thread, is as durable as the store's sync mode promises. A publisher's
 * PUBACK or PUBREC is sent that way, after the sessions the message was queued for have written
 * their entries, and so is an outbound QoS 2 PUBLISH after its packet id is written (so a restart
 * resends it under the same id). Writes themselves never block the caller; an implementation
 * batches them (group commit).
 *
 * <p>Implementations are thread-safe.
 */
public interface SessionStore {
  /** Keeps nothing; every action runs at once. */
  SessionStore MEMORY = new SessionStore() {
    @Override
    public void saveSession(String clientId, StoredSession session) {}

    @Override
    public void deleteSession(String clientId) {}

    @Override
    public void redirectSession(StoredRedirect redirect) {}

    @Override
    public void endRedirect(String clientId) {}

    @Override
    public List<StoredRedirect> redirects() {
      return List.of();
    }

    @Override
    public void writeSession(
        StoredSession session, List<StoredMessage> messages, boolean replace) {}

    @Override
    public void addMessage(String clientId, long seq, Delivery delivery) {}

    @Override
    public void beginImport(String clientId, long firstSeq) {}

    @Override
    public void finishImport(String clientId, long firstSeq) {}

    @Override
    public void abandonImport(String clientId, long firstSeq) {}

    @Override
    public long lastImport(String clientId) {
      return 0;
    }

    @Override
    public void addMessage(String clientId, long seq, Delivery delivery, WriteHold hold) {}

    @Override
    public WriteHold holdWrites() {
      return WriteHold.NONE;
    }

    @Override
    public void markSent(String clientId, long seq, int packetId, boolean released) {}

    @Override
    public void removeMessage(String clientId, long seq) {}

    @Override
    public void addInboundQos2(String clientId, int packetId) {}

    @Override
    public void removeInboundQos2(String clientId, int packetId) {}

    @Override
    public long addWill(String clientId, Message will, ClientIdentity uncheckedFor) {
      return 0;
    }

    @Override
    public void removeWill(String clientId, long willId) {}

    @Override
    public List<DueWill> dueWills() {
      return List.of();
    }

    @Override
    public void afterDurable(Runnable action) {
      action.run();
    }

    @Override
    public boolean isDurable() {
      return false;
    }

    @Override
    public List<StoredMessage> messages(String clientId, long afterSeq, int limit) {
      return List.of();
    }

    @Override
    public void readMessages(
        String clientId,
        long afterSeq,
        int limit,
        Consumer<List<StoredMessage>> page,
        Consumer<RuntimeException> failed) {
      page.accept(List.of());
    }

    @Override
    public void load(
        int queueWindow,
        Consumer<StoredSession> sessions,
        Consumer<StoredMessage> messages,
        Consumer<StoredBacklog> backlogs) {}
  };

  /**
   * The session's own part changed (subscriptions, expiry interval, will, when it went offline):
   * replaces what was kept for it. Its messages and inbound QoS 2 ids are kept apart and stay.
   */
  void saveSession(String clientId, StoredSession session);

  /**
   * The session ended (expired, clean start, moved to another node): it and all it held go, as
   * one atomic unit, a redirect of its client kept here too ({@link #redirectSession}); but for
   * the imports of its client begun and not ended ({@link #beginImport}).
   */
  void deleteSession(String clientId);

  /**
   * The session moved to another node and redirects there what still reaches it here: it goes
   * as for {@link #deleteSession}, and in the same atomic unit {@code redirect} is kept in its
   * place (after a crash the store holds the session or its redirect, never neither), until
   * {@link #endRedirect}, or until a session of its client is written or deleted here. {@link
   * #redirects} gives it back at recovery.
   */
  void redirectSession(StoredRedirect redirect);

  /** The redirect {@link #redirectSession} kept for {@code clientId} is over; nothing if none. */
  void endRedirect(String clientId);

  /** The redirects {@link #redirectSession} kept and that are not over, read at recovery. */
  List<StoredRedirect> redirects();

  /**
   * The session written whole, as one atomic unit (after a crash the store holds all of it or
   * what it held before, never a part): its own part with its inbound QoS 2 ids, and its
   * message entries in seq order with their sent state. With {@code replace}, everything kept of
   * it before goes first, in the same unit: its state was replaced as a whole (a clean start, a
   * hand-over received or aborted); but the entries of the imports of its client begun and not
   * ended ({@link #beginImport}), which it keeps. Without, the store holds nothing of it but a
   * redirect and, if it was received from another node, such imports' entries (which it keeps):
   * it just became stored. Either way a redirect of its client kept here goes in the unit ({@link
   * #redirectSession}), and the unit ends the mark of the import {@link #finishImport} finished:
   * this is its install, and its entries are the session's backlog. An import not finished yet
   * keeps its mark: the session written is not its install.
   */
  void writeSession(StoredSession session, List<StoredMessage> messages, boolean replace);

  /**
   * Entries of {@code clientId} from {@code firstSeq} on are about to be written ({@link
   * #addMessage}) for a session arriving from another node, before it is installed here: above
   * every entry of the client's the store holds, and above what a session of the client here
   * numbers until then, and {@link SessionImport#ROOM} above another import of the client still
   * active ({@link SessionImport#firstSeqAbove}): each import owns its range of seqs ({@link
   * SessionImport#rangeEnd}). Marks them so, with {@code firstSeq}, until {@link #writeSession}
   * installs the session or {@link #abandonImport} deletes them; a mark found at {@link #load}
   * means neither came, and exactly its range is deleted there. Until then, what deletes the
   * client's entries ({@link #deleteSession}, {@link #writeSession} with replace, as a session of
   * the client here ends or is replaced) leaves the range, and the mark too until the import is
   * finished ({@link #finishImport}).
   * Called in the order of that session's own calls (as a task of it), or, while there is none,
   * from the thread that writes the entries.
   */
  void beginImport(String clientId, long firstSeq);

  /**
   * The import {@link #beginImport} began at {@code firstSeq} has all its entries: the next
   * {@link #writeSession} of its client is its install. Nothing is written.
   */
  void finishImport(String clientId, long firstSeq);

  /**
   * The import {@link #beginImport} began at {@code firstSeq} will not be installed: its entries
   * (its range, {@link SessionImport#rangeEnd}) and mark go, and nothing of another import.
   */
  void abandonImport(String clientId, long firstSeq);

  /**
   * The first seq of the highest import of {@code clientId} begun and not ended (neither
   * installed nor abandoned), 0 for none: a new one begins above it ({@link
   * SessionImport#firstSeqAbove}).
   */
  long lastImport(String clientId);

  /** A QoS 1/2 delivery the session now holds (queued, not sent yet), as entry {@code seq}. */
  void addMessage(String clientId, long seq, Delivery delivery);

  /**
   * {@link #addMessage} under {@code hold}: the entry reaches the disk only in one atomic unit
   * with what is written before the hold's release (a copy of a QoS 2 message and its stored
   * publisher's id: after a crash the id must be kept exactly when every copy is; a copy without
   * it would be routed again on the publisher's resend, an id without a copy would make that
   * resend a loss).
   */
  void addMessage(String clientId, long seq, Delivery delivery, WriteHold hold);

  /**
   * A new hold for writes that must reach the disk together with what is written before its
   * release ({@link WriteHold}); {@link WriteHold#NONE} when the store keeps nothing.
   */
  WriteHold holdWrites();

  /**
   * Entry {@code seq} went out under {@code packetId}; {@code released}: for QoS 2, PUBREC came and
   * PUBREL went, only PUBCOMP is awaited. Only the client's later entries and what waits for
   * durability ({@link #afterDurable}) may depend on it: a store may let writes of other clients
   * and keys reach the disk before it.
   */
  void markSent(String clientId, long seq, int packetId, boolean released);

  /**
   * Entry {@code seq} is done: acknowledged, expired, dropped, or given to another member; its
   * sent state goes with it, in one atomic unit. Dependence on it as on {@link #markSent}; a
   * removal for a delivery given to another member is made in the unit of the new holder's copy
   * ({@link WriteHold#releaseAfter}).
   */
  void removeMessage(String clientId, long seq);

  /** An inbound QoS 2 message was accepted under {@code packetId} (PUBREC to go out). */
  void addInboundQos2(String clientId, int packetId);

  /** PUBREL for {@code packetId} arrived. */
  void removeInboundQos2(String clientId, int packetId);

  /**
   * A stored session's will goes out now: it is kept, under the number returned, until {@link
   * #removeWill} (once every copy of it is durable), apart from the session's own part, which no
   * other call touches it with (a deleted or rewritten session, a new one of the same client id,
   * leave it be). After a crash {@link #dueWills} gives it back to be published again.
   * {@code uncheckedFor}: null when the will was checked against its client's permissions; else
   * the client, whose permissions were unknown, kept with the will so that it is checked before
   * it goes out, after a crash too (see {@link DueWill#uncheckedFor}).
   */
  long addWill(String clientId, Message will, ClientIdentity uncheckedFor);

  /** The will {@link #addWill} kept as {@code willId} is no longer needed: its copies are durable. */
  void removeWill(String clientId, long willId);

  /** The wills kept by {@link #addWill} and not removed, read before the listeners open. */
  List<DueWill> dueWills();

  /**
   * Runs {@code action} (on a thread of the store's; the action hands its work to where it
   * belongs) once every write made before this call is durable; at once when the store keeps
   * nothing.
   */
  void afterDurable(Runnable action);

  /** Whether writes reach disk (false for {@link #MEMORY}). */
  boolean isDurable();

  /**
   * Up to {@code limit} message entries of {@code clientId} with a seq above {@code afterSeq}, in
   * seq order, with their sent state: a page of a queue that lies on disk. Sees every write made
   * before the call, so it may wait for the writes queued before it, then read the disk: call it
   * off the event loops ({@link #readMessages}) except where a session must have its whole queue
   * at once.
   */
  List<StoredMessage> messages(String clientId, long afterSeq, int limit);

  /**
   * {@link #messages} read on a thread of the store's (never the caller's); {@code page} gets the
   * result there and hands it on to where it belongs (a session task). A read that fails (a disk
   * error, a damaged entry) is logged and counted by the store and given to {@code failed}
   * instead, on that thread: the caller asks again later, as it sees fit.
   */
  void readMessages(
      String clientId,
      long afterSeq,
      int limit,
      Consumer<List<StoredMessage>> page,
      Consumer<RuntimeException> failed);

  /**
   * What recovery before the listeners open reads onto the heap: each session, then in (client
   * id, seq) order its message entries that went out (they have a packet id) and its first {@code
   * queueWindow} queued ones; the queued entries beyond those stay on disk and are given as one
   * {@link StoredBacklog} per session that has some, after its messages. The inbound QoS 2 ids
   * and the entries' sent state come with them.
   */
  void load(
      int queueWindow,
      Consumer<StoredSession> sessions,
      Consumer<StoredMessage> messages,
      Consumer<StoredBacklog> backlogs);
}

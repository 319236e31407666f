package io.simqtt.core.session;

import io.netty.util.concurrent.EventExecutor;
import io.simqtt.core.auth.Permissions;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.routing.DeliveryReceipt;
import io.simqtt.core.topic.SubscriptionOptions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * The MQTT session of one client id: it binds connections (taking over, resuming, detaching),
 * runs the session's side of a move between nodes, its will and its expiry, and holds the pieces
 * that keep the rest: {@link Subscriptions}, the {@link OutboundFlow} to the client and the
 * {@link InboundQos2} table from it. Every method except {@link #execute} must run as a task of
 * this session (see {@link SerialExecutor}, which runs them in order on the session's home event
 * loop); neither the session nor its pieces need locks for that reason.
 *
 * <p>A session with a Session Expiry Interval above 0 on a node with a durable {@link
 * SessionStore} is <em>stored</em>: it writes its own part ({@link StoredSession}) when it
 * attaches, subscribes, unsubscribes, detaches, or its expiry or will change, and its {@link
 * OutboundFlow} writes each message it holds (see {@link SessionJournal}); the inbound QoS 2 ids
 * are written by the connection's publish path (see {@link #storeInboundQos2}). A session that
 * ends, moves to another node or whose expiry turns 0 is deleted from the store. After a restart,
 * {@link SessionRecovery} rebuilds it from what was written.
 */
public final class Session extends SerialExecutor {
  /**
   * A message redirected this many times between nodes is dropped (counted): a session moves at
   * most once per claim, so a longer chain means nodes disagree about its owner.
   */
  static final int MAX_REDIRECT_HOPS = 8;
  private static final long REDIRECT_RECHECK_MILLIS = 1000;

  static final AtomicIntegerFieldUpdater<Session> PENDING_ATTACHES =
      AtomicIntegerFieldUpdater.newUpdater(Session.class, "pendingAttaches");

  private final String clientId;
  private final SessionContext context;
  /**
   * CONNECTs that found this session in the registry and have not attached yet; changed only
   * through {@link #PENDING_ATTACHES} (a field updater: an AtomicInteger would be one more object
   * per session).
   */
  volatile int pendingAttaches;

  private ClientConnection connection;
  /** Readable from any thread: the router prefers connected members of a shared group. */
  private volatile boolean connected;
  /**
   * What the client may do, from its last CONNECT: read by the router on any thread to withhold
   * messages the client may not receive, offline too.
   */
  private volatile Permissions permissions = Permissions.ALL;
  /** True once CONNACK is out: from then on deliveries go to the wire. */
  private boolean online;
  /** No connection has attached yet: CONNACK says no session present. */
  private boolean fresh = true;
  /** Volatile: the router reads it from other threads as a hint. */
  private volatile boolean ended;
  /** Moved to another node; kept only to redirect late messages. Read by operators' views. */
  private volatile boolean moved;
  /** Null unless the session is moving, has moved or has just arrived (see {@link Migration}). */
  private Migration migration;
  /**
   * When the cluster gave this node the session (the claim's hybrid clock; 0 on a single node).
   * Volatile: read when links come up, to find a client two nodes took during a partition.
   */
  private volatile long ownedSince;
  private long expiryInterval;
  private Will will;
  private ScheduledFuture<?> willTimer;
  /**
   * While offline, the session ends when this fires: its deadline is the session's expiry (a
   * hand-over reads it, so one that does not happen keeps it). A moved session's redirect time.
   */
  private ScheduledFuture<?> expiryTimer;
  /**
   * Bumped on every attach and detach so a timer set for an earlier connection does nothing. Only
   * compared for equality, and attach cancels the timers too, so wrapping around is harmless; an
   * int rather than a long keeps Session at 96 bytes.
   */
  private int epoch;

  /*
   * The pieces below exist only once they hold something: an idle connection should cost little
   * (docs/BENCHMARKS.md, "Memory per idle connection"), and most sessions have no subscription
   * or only a few, and nothing queued or in flight; the pieces' own collections are made on
   * first use too.
   */

  /** Null while the session has no subscription. */
  private Subscriptions subscriptions;
  /** Made on the first delivery and kept: it holds the last packet id given out. */
  private OutboundFlow outbound;
  /** Made on the first inbound QoS 2 message. */
  private InboundQos2 inboundQos2;

  Session(String clientId, SessionContext context, EventExecutor home) {
    super(home);
    this.clientId = clientId;
    this.context = context;
  }

  public String clientId() {
    return clientId;
  }

  SessionStore store() {
    return context.store();
  }

  // ---- connection lifecycle ----

  /**
   * Binds a new connection, taking over any current one. Returns whether earlier session state
   * was kept (CONNACK Session Present). The caller sends CONNACK and then calls {@link
   * #resumeDelivery()} in the same task.
   *
   * @param handedOver the state another node handed over, taking the place of whatever this node
   *     held; null when none came
   * @param claimStamp when the cluster gave this node the session (0 on a single node)
   */
  public boolean attach(
      ClientConnection conn,
      boolean cleanStart,
      long expiry,
      Will newWill,
      SessionSnapshot handedOver,
      long claimStamp) {
    PENDING_ATTACHES.decrementAndGet(this);
    epoch++;
    cancelTimers();
    if (outbound != null) {
      // What a disconnect, an expiry or a yield read the whole backlog for is moot now.
      outbound.stopWholeRead();
    }
    // Frozen for a hand-over and given state back: what queued here meanwhile goes after it.
    Collection<Delivery> arrivedWhileFrozen =
        handedOver != null && migration != null && migration.pending != null && outbound != null
            ? outbound.takeQueued(clientId, null)
            : List.of();
    // Discarded by an administrator while frozen: its old state ends now, as with a clean start.
    boolean startClean = settleMigrationForAttach(handedOver != null) || cleanStart;
    if (connection != null) {
      ClientConnection old = connection;
      connection = null;
      online = false;
      old.close(ReasonCode.SESSION_TAKEN_OVER, "another connection took over the session");
    }
    boolean present = !ended && !fresh;
    fresh = false;
    if (startClean) {
      // The old session ends here; a will still waiting for its delay goes out now.
      publishWill();
      releaseShared();
      clearState();
      present = false;
    } else {
      // A new connection inside the will delay cancels the old will.
      will = null;
    }
    if (handedOver != null) {
      clearState();
      restore(handedOver);
      for (Delivery d : arrivedWhileFrozen) {
        if (migration.seen.firstTime(d.message())) {
          outbound.requeue(d);
        }
      }
      present = true;
    }
    ended = false;
    ownedSince = claimStamp;
    connection = conn;
    connected = true;
    Permissions was = permissions;
    permissions = conn.permissions();
    if ((!was.isKnown() || handedOver != null) && outbound != null) {
      // Queued unchecked while they were unknown (see PermissionRetries), or handed over by a node
      // that may have held them unknown, or under other rules: checked before CONNACK.
      outbound.checkQueued(permissions);
    }
    advertiseShared(true);
    expiryInterval = expiry;
    will = newWill;
    moveTo(conn.eventLoop());
    if (startClean || handedOver != null) {
      // Its state was replaced as a whole: what the store held of it goes, and it is written
      // again as it is.
      rewrite();
    } else {
      persist();
    }
    return present;
  }

  /**
   * Before a connection attaches: a redirect left behind by an earlier move is no session (its
   * state went away with it), and a session frozen for a hand-over either gets state back from
   * the cluster ({@code stateArrives}) or takes its own back (the hand-over did not happen as far
   * as this connection knows). Other nodes' requests that waited for the freeze to end are
   * answered "not here": this connect won against them (the claim order decided it), and their
   * connects were refused. What it takes back is put back as it froze, entries included.
   * Returns whether an administrator discarded the session while it was frozen.
   */
  private boolean settleMigrationForAttach(boolean stateArrives) {
    if (migration == null) {
      return false;
    }
    Migration m = migration;
    if (m.movedTo != null) {
      leaveRedirect();
      clearState();
      fresh = true;
    }
    if (m.pending != null && !stateArrives) {
      thaw(m.pending);
    }
    boolean discarded = m.endIfAborted;
    m.endIfAborted = false;
    m.pending = null;
    m.yieldTo = null;
    m.dismissWaiting();
    if (m.isEmpty()) {
      migration = null;
    }
    return discarded;
  }

  /**
   * After CONNACK: resends PUBRELs and, within the new connection's window, unacknowledged
   * PUBLISHes (the rest as acknowledgements free the window), then drains the queue.
   */
  public void resumeDelivery() {
    online = true;
    if (outbound != null) {
      outbound.resume(connection);
    }
  }

  /**
   * The connection closed. {@code willApplies} is false after DISCONNECT 0x00. Does nothing when
   * {@code conn} is no longer this session's connection (it was taken over).
   */
  public void detach(ClientConnection conn, boolean willApplies) {
    if (connection != conn) {
      return;
    }
    connection = null;
    connected = false;
    online = false;
    epoch++;
    advertiseShared(false);
    if (!willApplies) {
      will = null;
    }
    if (expiryInterval == SessionExpiry.AT_DISCONNECT) {
      releaseShared();
      end();
      return;
    }
    releaseQueuedShared();
    if (outbound != null) {
      outbound.trim();
    }
    if (will != null) {
      scheduleWill(now() + TimeUnit.SECONDS.toMillis(willDelaySeconds()));
    }
    scheduleExpiry(now() + TimeUnit.SECONDS.toMillis(expiryInterval));
    persist();
  }

  /** The Will Delay Interval, cut to the session's expiry: the will goes out by then at last. */
  private long willDelaySeconds() {
    return Math.min(will.delaySeconds(), expiryInterval);
  }

  /** Without a connection the will goes out at {@code dueMillis} (wall clock); now if past. */
  private void scheduleWill(long dueMillis) {
    long delay = dueMillis - now();
    if (delay <= 0) {
      publishWill();
      return;
    }
    int at = epoch;
    willTimer = scheduleMillis(() -> {
      if (epoch == at) {
        publishWill();
        persist();
      }
    }, delay);
  }

  /**
   * When the will goes out if no connection attaches: the deadline its timer runs to while the
   * session is offline, else its delay from now (its connection is about to go); 0 without one.
   */
  private long willDeadline() {
    if (will == null) {
      return 0;
    }
    long now = now();
    return connection == null && willTimer != null
        ? now + willTimer.getDelay(TimeUnit.MILLISECONDS)
        : now + TimeUnit.SECONDS.toMillis(willDelaySeconds());
  }

  /**
   * When the session ends if no connection attaches: the deadline its expiry timer runs to while
   * it is offline, else its expiry interval from now (its connection is about to go).
   */
  private long expiryDeadline() {
    long now = now();
    return connection == null && expiryTimer != null
        ? now + expiryTimer.getDelay(TimeUnit.MILLISECONDS)
        : now + TimeUnit.SECONDS.toMillis(expiryInterval);
  }

  /** Without a connection the session ends at {@code deadlineMillis} (wall clock). */
  private void scheduleExpiry(long deadlineMillis) {
    if (expiryInterval != SessionExpiry.NEVER) {
      int at = epoch;
      expiryTimer = scheduleMillis(() -> expire(at), Math.max(0, deadlineMillis - now()));
    }
  }

  /**
   * The offline session's expiry set at {@code at} is due: it ends, its shared deliveries going
   * to other members; those only on disk are read off the event loop first, and it ends once
   * they are in, unless a connection came meanwhile.
   */
  private void expire(int at) {
    if (epoch != at || connection != null || ended) {
      return;
    }
    if (outbound == null || !outbound.readFirst(true, () -> expire(at))) {
      releaseShared();
      end();
    }
  }

  /** A copy of what operators see of this session. */
  public ClientInfo info() {
    ClientConnection c = connection;
    return new ClientInfo(
        clientId,
        c != null,
        c == null ? "" : c.remoteAddress(),
        c == null ? null : c.version(),
        c == null ? 0 : c.keepAlive(),
        expiryInterval,
        subscriptions == null ? Map.of() : subscriptions.snapshot(),
        queuedCount(),
        inflightCount());
  }

  /**
   * An administrator disconnects the client: DISCONNECT 0x98 (Administrative action) on MQTT 5.
   * Without {@code discardSession} the session lives on as after any connection loss (will,
   * expiry); with it the session ends now, as if it expired. Returns whether a connection was
   * closed.
   */
  public boolean kick(boolean discardSession) {
    ClientConnection c = connection;
    if (c != null && discardSession) {
      // Detached here, so the coming connection-closed event finds nothing left to do.
      connection = null;
      connected = false;
      online = false;
      epoch++;
    }
    if (c != null) {
      c.close(ReasonCode.ADMINISTRATIVE_ACTION, "disconnected by an administrator");
    }
    if (discardSession && !ended) {
      if (migration != null && migration.pending != null) {
        // Frozen for a move, its entries being read for the new owner: it ends here if the move
        // does not happen; if it does, it lives on there.
        migration.endIfAborted = true;
      } else {
        // Its shared deliveries go to other members, as when it expires (MQTT 5, 4.8.2).
        releaseShared();
        end();
      }
    }
    return c != null;
  }

  /**
   * Another node took the client: the connection here (if any) gets DISCONNECT 0x8E. With {@code
   * cleanStart} the session ends here (its will goes out) and {@code result} gets null. Otherwise
   * the session freezes: {@code result} gets a {@link HandOver} with its state, and until it is
   * confirmed or aborted the session stays here, queueing what arrives. A session that is not
   * this node's (ended, moved away) answers null; one already frozen for another node's request
   * answers once that one is settled.
   */
  public void handOver(boolean cleanStart, CompletableFuture<HandOver> result) {
    if (ended || moved) {
      result.complete(null);
      return;
    }
    if (migration != null && migration.pending != null) {
      migration.waiting.add(new Migration.Request(cleanStart, result));
      return;
    }
    if (!cleanStart && inboundQos2 != null && inboundQos2.hasUnsettled()) {
      // An id whose first copy is not durable yet would reach the new owner as settled, and a
      // resend there would be answered PUBREC at once: the client could finish the message while
      // a kill here still lost it. The state goes once they settle (the store's next
      // durability point); the connection goes now, so that no more arrive.
      closeTakenOver("the client connected to another node");
      inboundQos2.whenAllSettled(() -> handOverAfterWait(false, result));
      return;
    }
    if (cleanStart
        && outbound != null
        && outbound.readFirst(true, () -> handOverAfterWait(true, result))) {
      // The shared deliveries it hands on as it ends lie partly on disk only: the hand-over runs
      // again once they are read off the event loop, or once something overtook the read (ended
      // or moved meanwhile: answered null). The connection goes now. (A session that moves does
      // not read its backlog: the new owner gets it page by page, see HandOver#backlog.)
      closeTakenOver("the client connected to another node");
      return;
    }
    long expiresAt = expiryDeadline();
    long willDueAt = willDeadline();
    epoch++;
    cancelTimers();
    closeTakenOver("the client connected to another node");
    if (cleanStart) {
      releaseShared();
      end();
      result.complete(null);
      return;
    }
    // The messages, ids and will wait with the state, as they are: a hand-over that does not
    // happen leaves the session as it was. What arrives from now on waits here in the queue and
    // follows the session if it goes.
    FrozenOutbound frozen = outbound == null ? null : outbound.freeze();
    HandOver h = new HandOver(
        this, snapshot(frozen), frozen, inboundQos2, will, willDueAt, expiresAt);
    will = null;
    inboundQos2 = null;
    migration().pending = h;
    result.complete(h);
  }

  /**
   * {@link #handOver} again once what it waited for is in. A connection that attached here
   * meanwhile won its claim against the one asking (the claim order decided, as for requests
   * waiting on a frozen session): that one is answered null and the connection stays.
   */
  private void handOverAfterWait(boolean cleanStart, CompletableFuture<HandOver> result) {
    if (connection != null) {
      result.complete(null);
    } else {
      handOver(cleanStart, result);
    }
  }

  /** The new owner installed the state: what queued meanwhile follows, later arrivals too. */
  void handOverConfirmed(HandOver h, String newOwner) {
    if (migration == null || migration.pending != h) {
      return;
    }
    Migration m = migration;
    m.pending = null;
    m.endIfAborted = false;
    List<StoredMessage> entries = entriesToPassOn();
    leave(newOwner, outbound == null ? List.of() : outbound.takeQueued(clientId, entries), entries);
    answerWaiting(m);
  }

  /**
   * A healed partition found this client on another node too, which got it later: the connection
   * here (if any) gets DISCONNECT 0x8E, and what this session still holds (unacknowledged and
   * queued messages) goes to that node, which keeps the client. This node then only redirects.
   * A frozen, moved or ended session does nothing.
   */
  public void yieldTo(String newOwner) {
    if (ended || moved) {
      return;
    }
    if (migration != null && migration.pending != null) {
      // Frozen for a hand-over: if it goes ahead the session leaves anyway; if it is aborted,
      // the session yields then.
      migration.yieldTo = newOwner;
      return;
    }
    if (outbound != null && outbound.readFirst(false, () -> {
      if (connection == null) { // else one attached meanwhile: its claim came later
        yieldTo(newOwner);
      }
    })) {
      // All it holds goes: as for a hand-over, it yields once what is on disk is read.
      closeTakenOver("the client is connected to another node");
      return;
    }
    epoch++;
    cancelTimers();
    closeTakenOver("the client is connected to another node");
    will = null;
    // A QoS 2 message whose PUBREC arrived is the client's already: it does not go again.
    List<StoredMessage> entries = entriesToPassOn();
    List<Delivery> left =
        outbound == null ? List.of() : outbound.takeUnfinished(clientId, entries);
    inboundQos2 = null;
    leave(newOwner, left, entries);
  }

  /**
   * The other side of {@link #yieldTo}: a healed partition found this client on {@code oldOwner}
   * too, which got it earlier and now sends here what it held, while its node's router may still
   * deliver new messages to it (redirected here) and forward them here by route. For the
   * redirect time a message reaching this session a second time is dropped; what the session
   * holds now counts as seen. A message the client already finished here before the heal is not
   * known any more: the client had two connections during the partition, and each of those had
   * its own copy.
   */
  public void expectRedirects() {
    if (ended || moved) {
      return;
    }
    Migration m = migration();
    long until = now() + 2 * context.redirectMillis();
    if (m.seen == null) {
      m.seen = new SeenMessages(outbound == null ? List.of() : outbound.heldKeys(), until);
    } else {
      m.seen.extendTo(until);
    }
  }

  /** The client is on another node now: its connection here, if any, gets DISCONNECT 0x8E. */
  private void closeTakenOver(String reason) {
    if (connection == null) {
      return;
    }
    ClientConnection old = connection;
    connection = null;
    connected = false;
    online = false;
    advertiseShared(false);
    old.close(ReasonCode.SESSION_TAKEN_OVER, reason);
  }

  /** Whether this node got the client later than {@code theirNode} did (ties: higher node id). */
  public boolean ownedLaterThan(long theirStamp, String theirNode, String ourNode) {
    return ownedSince != theirStamp ? ownedSince > theirStamp : ourNode.compareTo(theirNode) > 0;
  }

  /** When this node got the session (see {@link #attach}); 0 on a single node. */
  public long ownedSince() {
    return ownedSince;
  }

  /**
   * The session moves on to {@code newOwner}, and so does what it still held ({@code left}, in
   * order; {@code entries} theirs, when stored). A stored session's entries stay in the store
   * until those are in the link's forward journal and that is durable (see {@link PassOn}).
   */
  private void leave(String newOwner, Collection<Delivery> left, List<StoredMessage> entries) {
    PassOn p = passOn(entries);
    becomeRedirect(newOwner);
    for (Delivery d : left) {
      redirect(d, 0, p == null ? null : p.receipt);
    }
    if (p != null) {
      p.handedOut();
    }
  }

  /** From now on what reaches this session goes to {@code newOwner}, for the redirect time. */
  private void becomeRedirect(String newOwner) {
    Migration m = migration();
    m.seen = null;
    m.movedTo = newOwner;
    moved = true;
    forget();
    context.registry().movedAway(this);
    int at = ++epoch;
    expiryTimer = scheduleMillis(() -> endRedirect(at), context.redirectMillis());
  }

  /**
   * The redirect time is over: the redirect ends once no forward sent here before the move can
   * still arrive (a frozen or cut-off peer re-sends them when it is back), checked every second.
   */
  private void endRedirect(int at) {
    if (epoch != at || !moved) {
      return;
    }
    if (context.cluster().isSettled()) {
      end();
    } else {
      expiryTimer = scheduleMillis(() -> endRedirect(at), REDIRECT_RECHECK_MILLIS);
    }
  }

  /** The hand-over failed: the session resumes here, offline, with everything it held. */
  void handOverAborted(HandOver h) {
    if (migration == null || migration.pending != h) {
      return;
    }
    Migration m = migration;
    m.pending = null;
    thaw(h);
    if (outbound != null && permissions.isKnown() && permissions.client() != null) {
      // What froze was not there to check if the permissions became known meanwhile.
      outbound.checkQueued(permissions);
    }
    will = h.will();
    epoch++;
    if (m.endIfAborted) {
      // An administrator discarded it while it was frozen.
      m.endIfAborted = false;
      releaseShared();
      end();
      return;
    }
    releaseQueuedShared();
    String yieldTo = m.yieldTo;
    m.yieldTo = null;
    if (yieldTo != null) {
      // A healed partition found the client on a later owner while this was frozen.
      answerWaiting(m);
      yieldTo(yieldTo);
      return;
    }
    // Its will goes out and it expires when they would have had it never been frozen.
    if (will != null) {
      scheduleWill(h.willDueAtMillis());
    }
    scheduleExpiry(h.expiresAtMillis());
    // Its entries never left the store, under seqs in the order the messages are back in.
    persist();
    answerWaiting(m);
  }

  /** Hand-over requests that waited while the session was frozen are answered now. */
  private void answerWaiting(Migration m) {
    List<Migration.Request> waiting = List.copyOf(m.waiting);
    m.waiting.clear();
    if (m.isEmpty()) {
      migration = null;
    }
    for (Migration.Request r : waiting) {
      handOver(r.cleanStart(), r.result());
    }
  }

  /**
   * Puts back what froze for a hand-over that did not happen: the messages ahead of what came
   * meanwhile, the inbound QoS 2 ids, as they were (their entries never left the store).
   */
  private void thaw(HandOver h) {
    if (h.messages() != null) {
      outbound().thaw(h.messages());
    }
    if (h.inboundQos2() != null) {
      if (inboundQos2 == null) {
        inboundQos2 = h.inboundQos2();
      } else {
        inboundQos2.addAll(h.inboundQos2().snapshot());
      }
    }
  }

  /** A redirect is over, or a connection attaches to it: it is an ordinary session again. */
  private void leaveRedirect() {
    migration.movedTo = null;
    if (moved) {
      moved = false;
      context.registry().movedBack(this);
    }
  }

  private Migration migration() {
    if (migration == null) {
      migration = new Migration();
    }
    return migration;
  }

  /** The session's state as it freezes, each piece giving its part; {@code frozen} the messages. */
  private SessionSnapshot snapshot(FrozenOutbound frozen) {
    SeenMessages seen = migration == null ? null : migration.seen;
    return new SessionSnapshot(
        subscriptions == null ? Map.of() : subscriptions.snapshot(),
        frozen == null ? OutboundState.EMPTY : frozen.state(),
        inboundQos2 == null ? Set.of() : inboundQos2.snapshot(),
        expiryInterval,
        seen == null || seen.isOver(now()) ? List.of() : seen.keys());
  }

  /** Takes on the state another node handed over, each piece its part (the session is clear). */
  private void restore(SessionSnapshot s) {
    s.subscriptions().forEach(this::enterSubscription);
    outbound().restore(s.outbound());
    if (s.backlog() != null) {
      outbound.restoreBacklog(s.backlog());
    }
    if (!s.inboundQos2().isEmpty()) {
      inboundQos2 = new InboundQos2(s.inboundQos2());
    }
    // Messages sent to the old node before the routes moved may now come here twice.
    List<MessageKey> known = new ArrayList<>(s.seen());
    s.inflight().forEach(f -> known.add(MessageKey.of(f.delivery().message())));
    s.queued().forEach(d -> known.add(MessageKey.of(d.message())));
    migration().seen = new SeenMessages(known, now() + 2 * context.redirectMillis());
  }

  /**
   * Where the store may hold this session's entries: up to the seq returned (0 for none), or -1
   * while it is frozen for a hand-over (see {@link SessionImport#firstSeqAbove}). A task of the
   * session.
   */
  long highestSeqForImport() {
    if (migration != null && migration.pending != null) {
      return -1;
    }
    return outbound == null ? 0 : outbound.highestStoredSeq();
  }

  /** Safe from any thread; may be stale by the time the caller acts on it. */
  public boolean isEnded() {
    return ended;
  }

  /**
   * Whether the session moved to another node and only redirects late messages there; such a
   * session is not shown to operators. Safe from any thread; may be stale.
   */
  public boolean isMoved() {
    return moved;
  }

  /** Safe from any thread; may be stale by the time the caller acts on it. */
  public boolean isConnected() {
    return connected;
  }

  /** Session Expiry Interval changed by DISCONNECT. */
  public void setExpiryInterval(long seconds) {
    expiryInterval = seconds;
    if (seconds == SessionExpiry.AT_DISCONNECT && connection != null) {
      // It leaves the store as its connection ends (detach), not now: the shared deliveries it
      // hands on then must stay there until their new holders have them (PassOn).
      return;
    }
    persist();
  }

  public long expiryInterval() {
    return expiryInterval;
  }

  // ---- outbound messages ----

  /** Sends or queues one delivery routed on this node. */
  public void deliver(Delivery d) {
    deliverRedirected(d, 0, null);
  }

  /**
   * Sends or queues one delivery that was redirected {@code hops} times from nodes this session
   * has left; a session that has itself moved on passes it further, counted on {@code receipt}
   * (if any) until the link to its new node has written it to the forward journal (durable
   * mode), so the publisher's acknowledgement waits for that as for an entry here.
   */
  public void deliverRedirected(Delivery d, int hops, DeliveryReceipt receipt) {
    if (ended) {
      if (d.sharedGroup() != null) {
        // Chosen just as this member left: another member takes it, for the same publisher.
        context.sharedRedelivery().redeliver(d, clientId, receipt);
      } else {
        context.metrics().dropped(DropReason.SESSION_ENDED);
      }
      return;
    }
    if (migration != null && !admitWhileMigrating(d, hops, receipt)) {
      return;
    }
    outbound().deliver(d, out(), receipt);
  }

  /** {@link #deliverUnchecked(Delivery, int, DeliveryReceipt)} routed here, without a receipt. */
  public void deliverUnchecked(Delivery d) {
    deliverUnchecked(d, 0, null);
  }

  /**
   * A delivery the router could not check, this session's permissions being unknown then (see
   * {@link PermissionRetries}): checked now if they are known, else queued with the rest and
   * checked once they are ({@link #permissionsKnown}, or a connection attaching). Held rather
   * than dropped, as the client may well receive it; never sent unchecked: while they are
   * unknown no connection is attached (one brings permissions of its own). {@code hops} as for
   * {@link #deliverRedirected}.
   */
  public void deliverUnchecked(Delivery d, int hops, DeliveryReceipt receipt) {
    if (permissions.isKnown() && !permissions.mayReceive(d.message().topic(), d.qos())) {
      context.metrics().dropped(DropReason.NOT_AUTHORIZED);
      return;
    }
    deliverRedirected(d, hops, receipt);
  }

  /**
   * The permissions of this recovered session, {@code unknown} until now, are {@code known}: what
   * it queued meanwhile unchecked is checked against them. Nothing happens if a connection
   * brought its own meanwhile (and checked the queue then).
   */
  void permissionsKnown(Permissions unknown, Permissions known) {
    if (permissions != unknown || ended) {
      return;
    }
    permissions = known;
    if (outbound != null) {
      outbound.checkQueued(known);
    }
  }

  /**
   * The connection's socket takes writes again (its outbound buffer fell below the low water
   * mark): what waited for it goes out. Does nothing when {@code conn} is no longer this
   * session's connection.
   */
  public void onWritable(ClientConnection conn) {
    if (connection == conn && outbound != null) {
      outbound.drain(out());
    }
  }

  /** Whether a delivery is for this session here: not moved on, and not a second copy. */
  private boolean admitWhileMigrating(Delivery d, int hops, DeliveryReceipt receipt) {
    Migration m = migration;
    if (m.movedTo != null) {
      redirect(d, hops, receipt);
      return false;
    }
    if (m.seen == null) {
      return true;
    }
    if (hops > 0) {
      // The old node still redirects (it waits for peers that were away): so may others.
      m.seen.extendTo(now() + 2 * context.redirectMillis());
    }
    if (m.seen.isOver(now())) {
      m.seen = null;
      if (m.isEmpty()) {
        migration = null;
      }
      return true;
    }
    if (!m.seen.firstTime(d.message())) {
      context.metrics().dropped(DropReason.DUPLICATE);
      return false;
    }
    return true;
  }

  private void redirect(Delivery d, int hops, DeliveryReceipt receipt) {
    if (hops >= MAX_REDIRECT_HOPS) {
      context.metrics().dropped(DropReason.REDIRECT_LOOP);
      return;
    }
    context.cluster().redirect(migration.movedTo, clientId, d, hops + 1, receipt);
  }

  public void onPubAck(int packetId) {
    if (outbound != null) {
      outbound.onPubAck(packetId, out());
    }
  }

  public void onPubRec(int packetId, int reasonCode) {
    // Without a flow nothing is in flight: the flow answers that the id is unknown.
    outbound().onPubRec(packetId, reasonCode, out());
  }

  public void onPubComp(int packetId) {
    if (outbound != null) {
      outbound.onPubComp(packetId, out());
    }
  }

  public int queuedCount() {
    return outbound == null ? 0 : outbound.queuedCount();
  }

  public int inflightCount() {
    return outbound == null ? 0 : outbound.inflightCount();
  }

  /** Queued messages on the heap: a stored session's queue beyond them is only on disk. */
  int queuedInMemory() {
    return outbound == null ? 0 : outbound.inMemory();
  }

  /**
   * {@link #queuedCount()} read from any thread without a task (see {@link
   * OutboundFlow#queuedCountRacy}); the flow itself may be read before it is fully made, which
   * the flow's reads survive like any other.
   */
  int queuedCountRacy() {
    OutboundFlow f = outbound;
    return f == null ? 0 : f.queuedCountRacy();
  }

  /** {@link #inflightCount()} read from any thread; racy like {@link #queuedCountRacy()}. */
  int inflightCountRacy() {
    OutboundFlow f = outbound;
    return f == null ? 0 : f.inflightCountRacy();
  }

  // ---- inbound QoS 2 ----

  /**
   * An inbound QoS 2 PUBLISH: whether it is new (now recorded), a resend of one awaiting PUBREL,
   * or beyond {@code receiveMaximum} open ones (see {@link InboundQos2#admit}).
   */
  public InboundQos2.Admission admitQos2(int packetId, int receiveMaximum) {
    return inboundQos2().admit(packetId, receiveMaximum);
  }

  /**
   * Durable mode: the QoS 2 message just admitted under {@code packetId} is not answered yet; the
   * returned action, run as a task of this session once its PUBREC may go out, ends that, and
   * resends answered meanwhile ({@link #whenQos2Settled}) go out then.
   */
  public InboundQos2.Unsettled unsettledQos2(int packetId) {
    return inboundQos2().unsettle(packetId);
  }

  /**
   * Admission {@code u}'s id went to the store with the entry of the message's last target
   * ({@code DeliveryReceipt.lastToTake}), from that target's thread. If this session no longer
   * holds the admission (a clean start or an end replaced its state meanwhile, and with it what
   * the store kept of its ids), that record is an orphan that a restart would take for an open
   * id, answering a new message under it without routing it: it goes, unless the id is open
   * again in the current state (which then owns the record and removes it at its PUBREL).
   * Queued after the carried write (the target wrote before it counted down), so it lands after.
   */
  public void carriedQos2Written(InboundQos2.Unsettled u, int packetId) {
    if (u.heldBy(inboundQos2) || (inboundQos2 != null && inboundQos2.contains(packetId))) {
      return;
    }
    context.store().removeInboundQos2(clientId, packetId);
  }

  /**
   * Runs {@code answer}, the PUBREC to a resend of an open QoS 2 id, once the first copy may be
   * answered (at once unless the id is unsettled, see {@link #unsettledQos2}).
   */
  public void whenQos2Settled(int packetId, Runnable answer) {
    if (inboundQos2 == null) {
      answer.run();
    } else {
      inboundQos2.whenSettled(packetId, answer);
    }
  }

  /** PUBREL arrived: what became of the id. */
  public Qos2Release releaseQos2(int packetId) {
    if (inboundQos2 == null || !inboundQos2.release(packetId)) {
      return Qos2Release.UNKNOWN;
    }
    SessionJournal j = journal();
    if (j != null) {
      j.removeInboundQos2(packetId);
      return Qos2Release.WRITTEN;
    }
    return Qos2Release.RELEASED;
  }

  /** What a PUBREL did to the inbound QoS 2 ids. */
  public enum Qos2Release {
    /** The id was not open: PUBCOMP 0x92. */
    UNKNOWN,
    /** The id is released: PUBCOMP now. */
    RELEASED,
    /**
     * The id is released and its removal written to the store: PUBCOMP once that is durable, or
     * after a crash the client, done with the id, reuses it for a new message that the restarted
     * node takes for a resend and drops.
     */
    WRITTEN
  }

  /**
   * No stored session here wrote the inbound QoS 2 id {@code packetId} with its entry (see {@link
   * SessionJournal#carrying}): a stored session writes it now, once what the message caused is
   * durable. Returns whether it did: the PUBREC then waits until the id is durable too.
   */
  public boolean storeInboundQos2(int packetId) {
    SessionJournal j = journal();
    if (j != null && inboundQos2 != null && inboundQos2.contains(packetId)) {
      j.addInboundQos2(packetId);
      return true;
    }
    return false;
  }

  // ---- subscriptions ----

  /** Adds or replaces a subscription in the session and the topic tree; returns the old options. */
  public SubscriptionOptions subscribe(String filter, SubscriptionOptions options) {
    SubscriptionOptions previous = enterSubscription(filter, options);
    persist();
    return previous;
  }

  /** {@link #subscribe} without writing to the store (the caller writes the whole state). */
  private SubscriptionOptions enterSubscription(String filter, SubscriptionOptions options) {
    if (subscriptions == null) {
      // Shared filters are advertised while the client is connected.
      subscriptions = new Subscriptions(clientId, context, connected);
    }
    return subscriptions.add(filter, options);
  }

  public boolean unsubscribe(String filter) {
    if (subscriptions == null) {
      return false;
    }
    boolean removed = subscriptions.remove(filter);
    if (subscriptions.isEmpty()) {
      subscriptions = null;
    }
    persist();
    return removed;
  }

  public Map<String, SubscriptionOptions> subscriptions() {
    return subscriptions == null ? Map.of() : subscriptions.view();
  }

  // ---- the store ----

  /**
   * Whether this session writes to the node's store (durable mode and Session Expiry Interval
   * above 0). Read by the router from the session's own tasks.
   */
  public boolean isStored() {
    return journal() != null;
  }

  private SessionJournal journal() {
    return outbound == null ? null : outbound.journal();
  }

  /**
   * Writes the session's own part, after a change of it. A session that should be stored and was
   * not yet is written whole (it held messages already, or its expiry just turned above 0); one
   * that should not be any more (expiry 0, ended, moved away) is deleted. Does nothing in memory
   * mode.
   */
  private void persist() {
    write(false);
  }

  /**
   * What the store holds of this session is replaced by what it is now, in one atomic unit: its
   * state was replaced as a whole (a clean start, a hand-over received or aborted), so its
   * entries are numbered afresh.
   */
  private void rewrite() {
    write(true);
  }

  private void write(boolean whole) {
    if (!context.registry().isDurable()) {
      return;
    }
    if (expiryInterval == SessionExpiry.AT_DISCONNECT || ended || moved) {
      forget();
      return;
    }
    boolean replace = journal() != null;
    if (replace && !whole) {
      context.store().saveSession(clientId, stored(Set.of()));
      return;
    }
    // A backlog here is an import's (one of its own was cleared with the state this one
    // replaces): the unit keeps it on disk, not read (SessionStore#beginImport).
    OutboundFlow flow = outbound();
    // The store may still hold an earlier state whose pass-ons are not safe yet: replaced too,
    // all but the entries passed on (renumberAll).
    replace |= flow.isPassingOn();
    flow.setJournal(new SessionJournal(context.store(), this));
    context.store().writeSession(
        stored(inboundQos2 == null ? Set.of() : inboundQos2.snapshot()),
        flow.renumberAll(clientId),
        replace);
  }

  /**
   * The session is no longer stored: the store deletes it and all it held, once what of its
   * queue was only on disk is back on the heap, and once what it passed on from its entries is
   * safe where it went ({@link #passedOn}).
   */
  private void forget() {
    if (outbound != null && outbound.leaveStore()) {
      context.store().deleteSession(clientId);
    }
  }

  /** Where a stored session collects the entries it passes on; null when it is not stored. */
  private List<StoredMessage> entriesToPassOn() {
    return journal() == null ? null : new ArrayList<>(0);
  }

  /**
   * Starts passing on {@code entries} of this session; null when it is not stored (nothing to
   * keep until then).
   */
  private PassOn passOn(List<StoredMessage> entries) {
    return journal() == null ? null : PassOn.start(this, context.store(), outbound, entries);
  }

  /**
   * What {@code p} passed on is safe where it went (see {@link OutboundFlow#passedOn}). A session
   * that left the store meanwhile is deleted from it now, and if it ended, leaves the registry,
   * which it stayed in so that a new connection would replace its state in the store rather than
   * a new session write beside it.
   */
  void passedOn(PassOn p) {
    if (outbound.passedOn(p)) {
      context.store().deleteSession(clientId);
      if (ended) {
        context.registry().remove(this);
      }
    }
  }

  /**
   * The session's own part as the store keeps it, with {@code inboundQos2} (which only a session
   * written whole gives).
   */
  private StoredSession stored(Set<Integer> inboundQos2) {
    return new StoredSession(
        clientId,
        subscriptions == null ? Map.of() : subscriptions.snapshot(),
        expiryInterval,
        will,
        offlineSinceMillis(),
        outbound == null ? 0 : outbound.lastPacketId(),
        inboundQos2,
        permissions.client());
  }

  /**
   * When the last connection went (0 while one is attached), as the store keeps it: a restart
   * counts the expiry and the will delay from it. Worked out from the expiry timer rather than
   * kept in a field of every session.
   */
  private long offlineSinceMillis() {
    if (connection != null) {
      return 0;
    }
    if (expiryTimer != null && expiryInterval != SessionExpiry.NEVER) {
      return expiryDeadline() - TimeUnit.SECONDS.toMillis(expiryInterval);
    }
    return now();
  }

  /**
   * The packet id of a QoS 2 PUBLISH that {@code j} held back is durable: the PUBLISH goes out
   * (see {@link SessionJournal#sendWhenDurable}).
   */
  void packetIdDurable(SessionJournal j, int packetId) {
    if (outbound != null) {
      outbound.packetIdDurable(j, packetId, out());
    }
  }

  /** A page of the queue's backlog that {@code j} read came back (see {@link OutboundFlow}). */
  void backlogRead(SessionJournal j, QueueBacklog b, List<StoredMessage> page) {
    if (outbound != null && outbound.journal() == j) {
      outbound.backlogRead(b, page, out());
    }
  }

  /**
   * A page read of the backlog failed (the store logged and counted it): it is asked for again
   * after a pause, and the session goes on meanwhile with what it has on the heap.
   */
  void backlogReadFailed(SessionJournal j, QueueBacklog b) {
    if (outbound != null && outbound.journal() == j) {
      long pause = outbound.backlogReadFailed(b);
      if (pause > 0) {
        scheduleMillis(() -> backlogRetry(j, b), pause);
      }
    }
  }

  private void backlogRetry(SessionJournal j, QueueBacklog b) {
    if (outbound != null && outbound.journal() == j) {
      outbound.retryBacklog(b, out());
    }
  }

  // ---- recovery (see SessionRecovery) ----

  /**
   * Takes on the session's own part as the store kept it, before the listeners open; its
   * messages follow ({@link #recoverMessage}), then {@link #resumeOffline}.
   */
  void recover(StoredSession st) {
    fresh = false;
    expiryInterval = st.expiryInterval();
    will = st.will();
    st.subscriptions().forEach(this::enterSubscription);
    if (!st.inboundQos2().isEmpty()) {
      inboundQos2 = new InboundQos2(st.inboundQos2());
    }
    OutboundFlow flow = outbound();
    flow.setJournal(new SessionJournal(context.store(), this));
    flow.recoverLastPacketId(st.lastPacketId());
  }

  /** A message entry the store kept for this session, in the order the session wrote them. */
  void recoverMessage(StoredMessage m) {
    outbound().recover(m);
  }

  /** The queued entries the store left on disk, after {@link #recoverMessage}. */
  void recoverBacklog(StoredBacklog b) {
    outbound().recoverBacklog(b);
  }

  /**
   * Goes on offline from where the store left the session, with what its client may do under the
   * rules now in force ({@code resolved}): the will goes out and the session ends at the
   * deadlines counted from {@code offlineSinceMillis}, at once when they are past. Returns
   * whether the session lives on.
   */
  boolean resumeOffline(long offlineSinceMillis, Permissions resolved) {
    permissions = resolved;
    epoch++;
    long expiresAt =
        expiryInterval == SessionExpiry.NEVER
            ? Long.MAX_VALUE
            : offlineSinceMillis + TimeUnit.SECONDS.toMillis(expiryInterval);
    if (expiresAt <= now()) {
      releaseShared();
      end();
      return false;
    }
    if (outbound != null && permissions.isKnown() && permissions.client() != null) {
      // Under the rules in force now; also what an earlier run queued unchecked, its
      // permissions unknown when it stopped.
      outbound.checkQueued(permissions);
    }
    // The expiry timer first: the store's offline time is worked out from it.
    scheduleExpiry(expiresAt);
    if (will != null) {
      scheduleWill(offlineSinceMillis + TimeUnit.SECONDS.toMillis(willDelaySeconds()));
      if (will == null) {
        persist(); // its delay passed while the node was down: it went out now
      }
    }
    return true;
  }

  // ---- internals ----

  /** The connection deliveries may go to: the current one once CONNACK is out, else null. */
  private ClientConnection out() {
    return online ? connection : null;
  }

  private void advertiseShared(boolean on) {
    if (subscriptions != null) {
      subscriptions.advertiseShared(on);
    }
  }

  /**
   * Publishes the will, if any, before the record drops it: a stored session's will stays in the
   * store until its copies are durable (see {@link WillPublisher}).
   */
  private void publishWill() {
    Will w = will;
    will = null;
    if (w != null) {
      context.wills().publish(clientId, w, permissions, isStored());
    }
  }

  /** What the client may do; safe from any thread. */
  public Permissions permissions() {
    return permissions;
  }

  /** The session is over: its will goes out, its subscriptions and messages are dropped. */
  private void end() {
    cancelTimers();
    publishWill();
    clearState();
    if (migration != null) {
      if (migration.movedTo != null) {
        leaveRedirect();
      }
      migration.dismissWaiting();
      migration = null;
    }
    ended = true;
    forget();
    if (outbound == null || !outbound.isPassingOn()) {
      context.registry().remove(this); // else once the store let it go (passedOn)
    }
  }

  /**
   * The session ends: every shared-subscription message it has not finished goes to another
   * member of its group (MQTT 5, 4.8.2), sent or not. A QoS 2 message whose PUBREC arrived stays
   * (and ends with the session): the client has it.
   */
  private void releaseShared() {
    releaseShared(true);
  }

  /**
   * The connection ended and the session lives on: shared-subscription messages still queued go
   * to another member of their group, while those already sent stay here, to be resent with the
   * same packet id and DUP=1 when the client comes back (MQTT 5, 4.8.2 and 4.3.3: a QoS 2 message
   * on the wire must never reach a second client under another id).
   */
  private void releaseQueuedShared() {
    // With some only on disk, they are read off the event loop first: released if still offline.
    int at = epoch;
    Runnable later = () -> {
      if (epoch == at && connection == null && !ended && !moved) {
        releaseShared(false);
      }
    };
    if (outbound != null && !outbound.readFirst(true, later)) {
      releaseShared(false);
    }
  }

  private void releaseShared(boolean sentToo) {
    if (outbound == null) {
      return;
    }
    List<StoredMessage> entries = entriesToPassOn();
    List<Delivery> taken = outbound.takeShared(sentToo, clientId, entries);
    if (taken.isEmpty()) {
      return;
    }
    PassOn p = passOn(entries);
    for (Delivery d : taken) {
      context.sharedRedelivery().redeliver(d, clientId, p == null ? null : p.receipt);
    }
    if (p != null) {
      p.handedOut();
    }
  }

  private void clearState() {
    if (subscriptions != null) {
      subscriptions.removeAll();
      subscriptions = null;
    }
    if (outbound != null) {
      outbound.clear();
    }
    inboundQos2 = null;
  }

  private OutboundFlow outbound() {
    if (outbound == null) {
      outbound = new OutboundFlow(context);
    }
    return outbound;
  }

  private InboundQos2 inboundQos2() {
    if (inboundQos2 == null) {
      inboundQos2 = new InboundQos2();
    }
    return inboundQos2;
  }

  private void cancelTimers() {
    if (willTimer != null) {
      willTimer.cancel(false);
      willTimer = null;
    }
    if (expiryTimer != null) {
      expiryTimer.cancel(false);
      expiryTimer = null;
    }
  }

  private ScheduledFuture<?> scheduleMillis(Runnable task, long millis) {
    return context.clock().schedule(home(), () -> execute(task), millis);
  }

  private long now() {
    return context.clock().millis();
  }
}

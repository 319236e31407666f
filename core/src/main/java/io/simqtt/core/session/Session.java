package io.simqtt.core.session;

import io.netty.util.concurrent.EventExecutor;
import io.simqtt.core.auth.Permissions;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.routing.DeliveryReceipt;
import io.simqtt.core.topic.SubscriptionOptions;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * The MQTT session of one client id: it binds connections (taking over, resuming, detaching),
 * takes deliveries and acknowledgements for the client, and holds the pieces that keep its
 * state: {@link Subscriptions}, the {@link OutboundFlow} to the client and the {@link InboundQos2}
 * table from it. Its other jobs work on its fields from classes of their own, which keep no state
 * of theirs so that a session costs no more for them: {@link SessionMove} (its side of a move
 * between nodes, over its {@link Migration}), {@link SessionTimers} (its will and expiry while
 * offline), {@link SessionEnd} (its end), {@link SharedRelease} (shared deliveries it lets go) and
 * {@link SessionPersistence} (what a stored session writes to the {@link SessionStore}, and what
 * it passes on); {@link SessionRecovery} rebuilds it after a restart. The fields are
 * package-private for those classes alone.
 *
 * <p>Every method except {@link #execute} must run as a task of this session (see {@link
 * SerialExecutor}, which runs them in order on the session's home event loop), and so must those
 * of the classes above; neither the session nor its pieces need locks for that reason.
 */
public final class Session extends SerialExecutor {
  static final AtomicIntegerFieldUpdater<Session> PENDING_ATTACHES =
      AtomicIntegerFieldUpdater.newUpdater(Session.class, "pendingAttaches");

  private final String clientId;
  final SessionContext context;
  /**
   * CONNECTs that found this session in the registry and have not attached yet; changed only
   * through {@link #PENDING_ATTACHES} (a field updater: an AtomicInteger would be one more object
   * per session).
   */
  volatile int pendingAttaches;

  ClientConnection connection;
  /** Readable from any thread: the router prefers connected members of a shared group. */
  volatile boolean connected;
  /**
   * What the client may do, from its last CONNECT: read by the router on any thread to withhold
   * messages the client may not receive, offline too.
   */
  volatile Permissions permissions = Permissions.ALL;
  /** True once CONNACK is out: from then on deliveries go to the wire. */
  boolean online;
  /** No connection has attached yet: CONNACK says no session present. */
  boolean fresh = true;
  /** Volatile: the router reads it from other threads as a hint. */
  volatile boolean ended;
  /** Moved to another node; kept only to redirect late messages. Read by operators' views. */
  volatile boolean moved;
  /** Null unless the session is moving, has moved or has just arrived (see {@link Migration}). */
  Migration migration;
  /**
   * When the cluster gave this node the session (the claim's hybrid clock; 0 on a single node).
   * Volatile: read when links come up, to find a client two nodes took during a partition.
   */
  private volatile long ownedSince;
  /**
   * Which of its client's sessions this is: the hybrid clock of the claim whose connection
   * created it (a clean start, or a connect that found no session), carried through every
   * hand-over and kept across connections that resume it; 0 when unknown (a single node, a state
   * from a node or a store before it was kept, a redirect left by a yield). A redirected delivery
   * names the lineage it is for (see {@link #deliverRedirected}).
   */
  long lineage;
  long expiryInterval;
  Will will;
  ScheduledFuture<?> willTimer;
  /**
   * While offline, the session ends when this fires: its deadline is the session's expiry (a
   * hand-over reads it, so one that does not happen keeps it). A moved session's redirect time.
   */
  ScheduledFuture<?> expiryTimer;
  /**
   * Bumped on every attach and detach so a timer set for an earlier connection does nothing. Only
   * compared for equality, and attach cancels the timers too, so wrapping around is harmless; an
   * int rather than a long keeps Session 8 bytes smaller.
   */
  int epoch;

  /*
   * The pieces below exist only once they hold something: an idle connection should cost little
   * (docs/BENCHMARKS.md, "Memory per idle connection"), and most sessions have no subscription
   * or only a few, and nothing queued or in flight; the pieces' own collections are made on
   * first use too.
   */

  /** Null while the session has no subscription. */
  Subscriptions subscriptions;
  /** Made on the first delivery and kept: it holds the last packet id given out. */
  OutboundFlow outbound;
  /** Made on the first inbound QoS 2 message. */
  InboundQos2 inboundQos2;

  Session(String clientId, SessionContext context, EventExecutor home) {
    super(home);
    this.clientId = clientId;
    this.context = context;
  }

  public String clientId() {
    return clientId;
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
    // Over, and still reading its shared deliveries on disk to hand them on: its state ends now.
    boolean over = SessionEnd.isEnding(this);
    epoch++;
    SessionTimers.cancel(this);
    if (outbound != null) {
      // What a read or hand-on of the backlog under way was for is moot now (a leaving session
      // leaves in settleForAttach, reading the rest).
      outbound.stopWholeRead();
    }
    Collection<Delivery> arrivedWhileFrozen = SessionMove.arrivedWhileFrozen(this, handedOver);
    // Discarded by an administrator while frozen: its old state ends now, as with a clean start.
    boolean startClean =
        SessionMove.settleForAttach(this, handedOver != null) || cleanStart || over;
    if (connection != null) {
      ClientConnection old = connection;
      connection = null;
      online = false;
      old.close(ReasonCode.SESSION_TAKEN_OVER, "another connection took over the session");
    }
    boolean present = !ended && !fresh;
    fresh = false;
    if (startClean) {
      // The old session ends here; a will still waiting for its delay goes out now. Its shared
      // deliveries go to other members; one with none is dropped (an ending session takes none
      // back), not kept for the state that starts now.
      publishWill();
      expiryInterval = SessionExpiry.AT_DISCONNECT;
      SharedRelease.all(this);
      clearState();
      present = false;
    } else {
      // A new connection inside the will delay cancels the old will.
      will = null;
    }
    if (handedOver != null) {
      clearState();
      SessionMove.install(this, handedOver, arrivedWhileFrozen);
      present = true;
    } else if (!present) {
      // This connection creates a session: what is redirected for an earlier one is not for it.
      lineage = claimStamp;
    }
    ended = false;
    ownedSince = claimStamp;
    connection = conn;
    connected = true;
    Permissions was = permissions;
    permissions = conn.permissions();
    if ((!was.isKnown() || handedOver != null) && outbound != null) {
      // Queued unchecked while they were unknown (see PermissionRetries), or handed over by a node
      // that may have held them unknown, or under other rules: what it queues is checked before
      // CONNACK (what is in flight is resent, see OutboundFlow.checkHeld).
      outbound.checkHeld(permissions);
    }
    advertiseShared(true);
    expiryInterval = expiry;
    will = newWill;
    moveTo(conn.eventLoop());
    if (startClean || handedOver != null) {
      // Its state was replaced as a whole: what the store held of it goes, and it is written
      // again as it is.
      SessionPersistence.rewrite(this);
    } else {
      SessionPersistence.persist(this);
    }
    return present;
  }

  /**
   * Runs {@code attach}, the task that calls {@link #attach} for a new connection ({@code
   * cleanStart} its Clean Start, {@code stateArrives} whether another node handed state over),
   * once the session may take it without reading its disk on the event loop: at once, unless
   * what the attach takes of the queue lies partly only on disk. That is read off the loop first,
   * and {@code attach} runs as the session task that takes the last page (or, when something
   * overtook the read, a later one that asks again); the caller holds the connection's input
   * until then. An old state that ends hands its shared deliveries to other members first, those
   * on disk a page at a time as they are read (a session that is over, see {@link
   * SessionEnd#isEnding}; a clean start ends the old state so, its connection closed, when some
   * lie on disk: see {@link SessionEnd#offline}), and the attach runs once none is left there,
   * finding the session ended; the attach takes the whole queue of a session frozen for a move
   * while state arrives (what queued meanwhile goes after that state); an attach to a session
   * leaving for another node (see {@link SessionMove#leaveInPages}) runs once it has left, all it
   * held with it. A clean start on a session frozen for a move whose frozen backlog holds shared
   * deliveries settles the freeze first (its claim won; the attach would settle it too), so that
   * those come back to the queue and are handed on like the rest, unless an earlier attach waits
   * (it settles the freeze its own way, and this one follows it). An attach behind an earlier
   * connection's that waits for such a read waits too: the connections attach in the order they
   * came, so the later one takes the session over, not the reverse.
   */
  public void beforeAttach(boolean cleanStart, boolean stateArrives, AttachTask attach) {
    if (attach.givenUp()) {
      // Its CONNECT was refused while it waited for the read (see attachGivenUp): it changes
      // nothing here.
      return;
    }
    if (cleanStart
        && !stateArrives
        && (outbound == null || !outbound.attachWaits())
        && SessionMove.frozenWithSharedOnDisk(this)) {
      // An administrator's discard while frozen, which this returns, changes nothing: the old
      // state ends with the clean start. Not while an earlier attach waits: it may bring state
      // that takes what queued while frozen after it, which a settled freeze would have lost.
      SessionMove.settleForAttach(this, false);
    }
    if (!ended && outbound != null) {
      boolean whole = outbound.attachWaits()
          || (migration != null
              && (migration.leavingTo != null || (stateArrives && migration.pending != null)));
      if (!whole && cleanStart && !SessionEnd.isEnding(this) && outbound.sharedOnDisk()) {
        // The old state ends first, as a session without a connection ends: it leaves its shared
        // groups and hands their deliveries on a page at a time as they are read, and one with no
        // other member is dropped, counted, not given back to the state this connection starts.
        closeTakenOver("another connection took over the session");
        SessionEnd.offline(this);
      }
      boolean shared = !whole && (cleanStart || SessionEnd.isEnding(this));
      if ((whole || shared)
          && outbound.readFirst(
              shared,
              new AttachWhenRead(attach, () -> beforeAttach(cleanStart, stateArrives, attach)))) {
        return;
      }
    }
    attach.run();
  }

  /** What a connection's attach does, run by {@link #beforeAttach} once the session may take it. */
  public interface AttachTask extends Runnable {
    /**
     * Whether the connection gave the attach up while it waited for a read (its CONNECT refused,
     * see {@link #attachGivenUp}): it does not run, and later attaches do not wait behind it.
     */
    default boolean givenUp() {
      return false;
    }
  }

  /** A connection's attach waiting for a read of the disk ({@link #beforeAttach}). */
  record AttachWhenRead(AttachTask attach, Runnable retry) implements Runnable {
    @Override
    public void run() {
      retry.run();
    }
  }

  /**
   * A CONNECT that found this session gave its attach up before it ran (see {@link
   * AttachTask#givenUp}): it will not attach, so the session no longer stays in the registry for
   * it, and leaves it now if it ended meanwhile.
   */
  public void attachGivenUp() {
    PENDING_ATTACHES.decrementAndGet(this);
    if (ended) {
      SessionEnd.leaveRegistry(this);
    }
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
    boolean willWithdrawn = !willApplies && will != null;
    if (!willApplies) {
      will = null;
    }
    if (expiryInterval == SessionExpiry.AT_DISCONNECT) {
      if (willWithdrawn) {
        // It may still read its shared deliveries off the loop before it ends: a crash meanwhile
        // ends it at recovery, which must not find the will the client withdrew.
        SessionPersistence.saveRecord(this);
      }
      SessionEnd.offline(this);
      return;
    }
    SharedRelease.queued(this);
    if (outbound != null) {
      outbound.trim();
    }
    if (will != null) {
      SessionTimers.scheduleWill(
          this, now() + TimeUnit.SECONDS.toMillis(SessionTimers.willDelaySeconds(this)));
    }
    SessionTimers.scheduleExpiry(this, now() + TimeUnit.SECONDS.toMillis(expiryInterval));
    SessionPersistence.persist(this);
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
      if (migration != null && migration.isFrozen()) {
        // Frozen for a move, its entries being read for the new owner: it ends here if the move
        // does not happen; if it does (or did: it is leaving), it lives on there.
        migration.endIfAborted = migration.pending != null;
      } else {
        // Its shared deliveries go to other members, as when it expires (MQTT 5, 4.8.2).
        SessionEnd.offline(this);
      }
    }
    return c != null;
  }

  /**
   * Another node took the client: the connection here (if any) gets DISCONNECT 0x8E. With {@code
   * cleanStart} the session ends here as {@link SessionEnd#offline} ends it (its will goes out
   * once its shared deliveries on disk are handed on) and {@code result} gets null at once.
   * Otherwise the session freezes: {@code result} gets a {@link HandOver} with its state, and
   * until it is confirmed or aborted the session stays here, queueing what arrives. A session
   * that is not this node's (ended, moved away) answers null; one already frozen for another
   * node's request answers once that one is settled.
   */
  public void handOver(boolean cleanStart, CompletableFuture<HandOver> result) {
    SessionMove.handOver(this, cleanStart, result);
  }

  /**
   * A healed partition found this client on another node too, which got it later: the connection
   * here (if any) gets DISCONNECT 0x8E, and what this session still holds (unacknowledged and
   * queued messages) goes to that node, which keeps the client. This node then only redirects.
   * A frozen, moved or ended session does nothing.
   */
  public void yieldTo(String newOwner) {
    SessionMove.yieldTo(this, newOwner);
  }

  /**
   * The other side of {@link #yieldTo}: a healed partition found this client on {@code oldOwner}
   * too, which got it earlier and now sends here what it held, while its node's router may still
   * deliver new messages to it (redirected here) and forward them here by route. While the window
   * for second copies is open (see SeenMessages) a message reaching this session a second time is
   * dropped; what the session holds now counts as seen. A message the client already finished here
   * before the heal is not known any more: the client had two connections during the partition, and
   * each of those had its own copy. A session frozen for a move opens the window if it thaws (the
   * move aborted, or its client back here first), over what queued meanwhile too.
   */
  public void expectRedirects() {
    SessionMove.expectRedirects(this);
  }

  /** The client is on another node now: its connection here, if any, gets DISCONNECT 0x8E. */
  void closeTakenOver(String reason) {
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
   * Whether the session is over and hands its shared deliveries on before it ends ({@link
   * SessionEnd#isEnding}): it takes none back. Current on the session's own thread (where what it
   * lets go is redelivered), else may be stale.
   */
  public boolean isEnding() {
    return SessionEnd.isEnding(this);
  }

  /**
   * Whether the session moved to another node and only redirects late messages there; such a
   * session is not shown to operators. Safe from any thread; may be stale.
   */
  public boolean isMoved() {
    return moved;
  }

  /**
   * Whether what reaches this session goes on to another node rather than to a client of this
   * one: it moved, or it is frozen for a move (what arrives meanwhile goes to the new holder if
   * the move completes, and is checked here if it is aborted, {@link SessionMove#aborted}). The
   * node the delivery ends on judges it, against the connection there. Safe from any thread;
   * may be stale.
   */
  public boolean passesOn() {
    Migration m = migration;
    return moved || (m != null && m.isFrozen());
  }

  /** Safe from any thread; may be stale by the time the caller acts on it. */
  public boolean isConnected() {
    return connected;
  }

  /** Session Expiry Interval changed by DISCONNECT. */
  public void setExpiryInterval(long seconds) {
    expiryInterval = seconds;
    SessionPersistence.persist(this);
  }

  public long expiryInterval() {
    return expiryInterval;
  }

  // ---- outbound messages ----

  /** Sends or queues one delivery routed on this node. */
  public void deliver(Delivery d) {
    deliverRedirected(d, 0, 0, null);
  }

  /**
   * Sends or queues one delivery that was redirected {@code hops} times from nodes this session
   * has left; a session that has itself moved on passes it further, counted on {@code receipt}
   * (if any) until the link to its new node has written it to the forward journal (durable
   * mode), so the publisher's acknowledgement waits for that as for an entry here.
   *
   * <p>{@code lineage}: the lineage of the session it was redirected for (see {@link #lineage}; 0:
   * any). Another one's is not for this session (MQTT 3.1.2.4: a clean start discarded that one)
   * and is dropped, counted, as for a session gone; a shared delivery goes to another member of
   * its group. A session that moved on passes it on, naming its lineage.
   */
  public void deliverRedirected(Delivery d, int hops, long lineage, DeliveryReceipt receipt) {
    // A fresh session is made for a connection whose attach has not run (registry.claim): it is
    // no session yet, and an attach that finds none would keep what queued for the one it makes.
    boolean another =
        lineage != 0 && (fresh || (this.lineage != 0 && lineage != this.lineage));
    if (ended || another) {
      if (d.sharedGroup() != null) {
        // Chosen just as this member left, or for the session a clean start replaced: another
        // member takes it, for the same publisher.
        context.sharedRedelivery().redeliver(d, clientId, hops, receipt);
      } else {
        context.metrics().dropped(ended ? DropReason.SESSION_ENDED : DropReason.SESSION_GONE);
      }
      return;
    }
    if (d.sharedGroup() == null && SessionEnd.endsArrivals(this)) {
      // Over, reading its shared deliveries on disk (those queue behind them, to be handed on).
      context.metrics().dropped(DropReason.SESSION_ENDED);
      return;
    }
    if (migration != null && !SessionMove.admit(this, d, hops, receipt)) {
      return;
    }
    outbound().deliver(d, out(), receipt);
  }

  /**
   * {@code d}, a shared delivery this session let go, comes back to it (its group has no other
   * member, see {@link SharedRedelivery}): its own copy, not a second one, so a window for second
   * copies that knows it (it held it) forgets it and takes it as it arrives next. Run before that
   * delivery's task.
   */
  public void takeBack(Delivery d) {
    SessionMove.takeBack(this, d);
  }

  /**
   * {@link #deliverUnchecked(Delivery, int, long, DeliveryReceipt)} routed here, without a
   * receipt.
   */
  public void deliverUnchecked(Delivery d) {
    deliverUnchecked(d, 0, 0, null);
  }

  /**
   * A delivery the router could not check, this session's permissions being unknown then (see
   * {@link PermissionRetries}): checked now if they are known, else queued with the rest and
   * checked once they are ({@link #permissionsKnown}, or a connection attaching). Held rather
   * than dropped, as the client may well receive it; never sent unchecked: while they are
   * unknown no connection is attached (one brings permissions of its own). A session that {@link
   * #passesOn} passes it on unjudged (the router leaves such a delivery to it): the node it is
   * bound for checks it against the rules of the connection there. {@code hops} and {@code
   * lineage} as for {@link #deliverRedirected}.
   */
  public void deliverUnchecked(Delivery d, int hops, long lineage, DeliveryReceipt receipt) {
    if (!passesOn()
        && permissions.isKnown()
        && !permissions.mayReceive(d.message().topic(), d.qos())) {
      context.metrics().dropped(DropReason.NOT_AUTHORIZED);
      return;
    }
    deliverRedirected(d, hops, lineage, receipt);
  }

  /**
   * The permissions of this recovered session, {@code unknown} until now, are {@code known}: what
   * it queues (meanwhile unchecked) is checked against them. Nothing happens if a connection
   * brought its own meanwhile (and checked then).
   */
  void permissionsKnown(Permissions unknown, Permissions known) {
    if (permissions != unknown || ended) {
      return;
    }
    permissions = known;
    if (outbound != null) {
      outbound.checkHeld(known);
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
   * Admission {@code u}'s id went to the store in one unit with the copies of its message, from
   * the thread of the count that completed its receipt ({@code DeliveryReceipt}). If this session
   * no longer holds the admission (a clean start or an end replaced its state meanwhile, and with
   * it what the store kept of its ids), or is no longer stored, that record is an orphan that a
   * restart would take for an open id, answering a new message under it without routing it: it
   * goes, unless the id is open again in the current stored state (which then owns the record and
   * removes it at its PUBREL). Queued after the id's write (this runs once it is durable), so it
   * lands after.
   */
  public void carriedQos2Written(InboundQos2.Unsettled u, int packetId) {
    boolean held = u.heldBy(inboundQos2) || (inboundQos2 != null && inboundQos2.contains(packetId));
    if (held && SessionPersistence.journal(this) != null) {
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
  public InboundQos2.Release releaseQos2(int packetId) {
    if (inboundQos2 == null || !inboundQos2.release(packetId)) {
      return InboundQos2.Release.UNKNOWN;
    }
    SessionJournal j = SessionPersistence.journal(this);
    if (j != null) {
      j.removeInboundQos2(packetId);
      return InboundQos2.Release.WRITTEN;
    }
    return InboundQos2.Release.RELEASED;
  }

  // ---- subscriptions ----

  /** Adds or replaces a subscription in the session and the topic tree; returns the old options. */
  public SubscriptionOptions subscribe(String filter, SubscriptionOptions options) {
    SubscriptionOptions previous = enterSubscription(filter, options);
    SessionPersistence.persist(this);
    return previous;
  }

  /** {@link #subscribe} without writing to the store (the caller writes the whole state). */
  SubscriptionOptions enterSubscription(String filter, SubscriptionOptions options) {
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
    SessionPersistence.persist(this);
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
    return SessionPersistence.isStored(this);
  }

  // ---- internals ----

  /** The connection deliveries may go to: the current one once CONNACK is out, else null. */
  ClientConnection out() {
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
  void publishWill() {
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

  void clearState() {
    if (subscriptions != null) {
      subscriptions.removeAll();
      subscriptions = null;
    }
    if (outbound != null) {
      outbound.clear();
    }
    inboundQos2 = null;
  }

  OutboundFlow outbound() {
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

  ScheduledFuture<?> scheduleMillis(Runnable task, long millis) {
    return context.clock().schedule(home(), () -> execute(task), millis);
  }

  long now() {
    return context.clock().millis();
  }
}

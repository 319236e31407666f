package io.simqtt.core.session;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.simqtt.core.codec.MqttEncoder;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.PacketType;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.topic.SubscriptionOptions;
import io.simqtt.core.topic.Topics;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * The MQTT session of one client id. Every method except {@link #execute} must run as a task of
 * this session (see {@link SerialExecutor}, which runs them in order on the session's home event
 * loop); the state below needs no locks for that reason.
 */
public final class Session extends SerialExecutor {
  private static final int MAX_PACKET_ID = 0xFFFF;
  /**
   * A message redirected this many times between nodes is dropped (counted): a session moves at
   * most once per claim, so a longer chain means nodes disagree about its owner.
   */
  static final int MAX_REDIRECT_HOPS = 8;
  private static final long REDIRECT_RECHECK_MILLIS = 1000;
  /** Shared by sessions without subscriptions. */
  private static final Map<String, SubscriptionOptions> NO_SUBSCRIPTIONS = Map.of();
  /** Shared by sessions with nothing in flight. */
  private static final Map<Integer, InflightMessage> NO_INFLIGHT = Map.of();
  /** Shared by sessions without inbound QoS 2 in progress: most never have any. */
  private static final Set<Integer> NO_IDS = Set.of();

  static final AtomicIntegerFieldUpdater<Session> PENDING_ATTACHES =
      AtomicIntegerFieldUpdater.newUpdater(Session.class, "pendingAttaches");

  private final String clientId;
  private final SessionRegistry registry;
  /**
   * CONNECTs that found this session in the registry and have not attached yet; changed only
   * through {@link #PENDING_ATTACHES} (a field updater: an AtomicInteger would be one more object
   * per session).
   */
  volatile int pendingAttaches;

  private ClientConnection connection;
  /** Readable from any thread: the router prefers connected members of a shared group. */
  private volatile boolean connected;
  /** Whether this session's shared subscriptions are advertised to the cluster right now. */
  private boolean sharedAdvertised;
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
  private ScheduledFuture<?> expiryTimer;
  /**
   * Bumped on every attach and detach so a timer set for an earlier connection does nothing. Only
   * compared for equality, and attach cancels the timers too, so wrapping around is harmless; an
   * int rather than a long keeps Session at 96 bytes.
   */
  private int epoch;

  /*
   * The collections below exist only while they hold something: an idle connection should cost
   * little (docs/BENCHMARKS.md, "Memory per idle connection"), and most sessions have no
   * subscription or only a few, and nothing queued or in flight. An empty one is a shared
   * immutable sentinel (or null for the deques) that reads see as empty; writes go through
   * writableSubscriptions(), writableInflight() and writableQueue(), and whatever empties one
   * drops it again. Nothing calls keySet()/values()/entrySet() on them without need: a map
   * keeps such a view object for as long as it lives.
   */

  /** Filter to options; {@link #NO_SUBSCRIPTIONS} when there is none. */
  private Map<String, SubscriptionOptions> subscriptions = NO_SUBSCRIPTIONS;
  /**
   * QoS 1/2 deliveries waiting beyond the in-flight window or for a connection; null when none
   * (never empty).
   */
  private ArrayDeque<Delivery> queue;
  /**
   * Outbound QoS 1/2 publishes not yet acknowledged, by packet id, in the order they were sent (a
   * LinkedHashMap: resends keep that order); {@link #NO_INFLIGHT} when there is none.
   */
  private Map<Integer, InflightMessage> inflight = NO_INFLIGHT;
  /**
   * Packet ids in {@code inflight} not yet resent on the current connection: a resumed session
   * may hold more than the new connection's Receive Maximum allows on the wire (spec 4.9). Made by
   * a resume that has some, dropped once they are out; null otherwise.
   */
  private ArrayDeque<Integer> resendPending;
  /** Inbound QoS 2 packet ids answered with PUBREC whose PUBREL has not arrived. */
  private Set<Integer> inboundQos2 = NO_IDS;
  private int lastPacketId;

  Session(String clientId, SessionRegistry registry, EventExecutor home) {
    super(home);
    this.clientId = clientId;
    this.registry = registry;
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
    epoch++;
    cancelTimers();
    // Frozen for a hand-over and given state back: what queued here meanwhile goes after it.
    ArrayDeque<Delivery> arrivedWhileFrozen =
        handedOver != null && migration != null && migration.pending != null ? queue : null;
    settleMigrationForAttach(handedOver != null);
    if (connection != null) {
      ClientConnection old = connection;
      connection = null;
      online = false;
      old.close(ReasonCode.SESSION_TAKEN_OVER, "another connection took over the session");
    }
    boolean present = !ended && !fresh;
    fresh = false;
    if (cleanStart) {
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
      if (arrivedWhileFrozen != null) {
        for (Delivery d : arrivedWhileFrozen) {
          if (migration.seen.firstTime(d.message())) {
            writableQueue().addLast(d);
          }
        }
      }
      present = true;
    }
    ended = false;
    ownedSince = claimStamp;
    connection = conn;
    connected = true;
    advertiseShared(true);
    expiryInterval = expiry;
    will = newWill;
    moveTo(conn.eventLoop());
    return present;
  }

  /**
   * Before a connection attaches: a redirect left behind by an earlier move is no session (its
   * state went away with it), and a session frozen for a hand-over either gets state back from
   * the cluster ({@code stateArrives}) or takes its own back (the hand-over did not happen as far
   * as this connection knows). Other nodes' requests that waited for the freeze to end are
   * answered "not here": this connect won against them (the claim order decided it), and their
   * connects were refused.
   */
  private void settleMigrationForAttach(boolean stateArrives) {
    if (migration == null) {
      return;
    }
    Migration m = migration;
    if (m.movedTo != null) {
      leaveRedirect();
      clearState();
      fresh = true;
    }
    if (m.pending != null && !stateArrives) {
      restoreMessages(m.pending.state());
    }
    m.pending = null;
    m.yieldTo = null;
    m.dismissWaiting();
    if (m.isEmpty()) {
      migration = null;
    }
  }

  /**
   * After CONNACK: resends PUBRELs and, within the new connection's window, unacknowledged
   * PUBLISHes (the rest as acknowledgements free the window), then drains the queue.
   */
  public void resumeDelivery() {
    online = true;
    resendPending = null;
    inflight.forEach((id, f) -> {
      if (f.released()) {
        connection.send(
            new MqttPacket.PubResponse(
                PacketType.PUBREL, id, ReasonCode.SUCCESS, MqttProperties.NONE));
      } else {
        if (resendPending == null) {
          resendPending = new ArrayDeque<>();
        }
        resendPending.addLast(id);
      }
    });
    drainQueue();
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
    if (will != null) {
      long delay = Math.min(will.delaySeconds(), expiryInterval);
      if (delay == 0) {
        publishWill();
      } else {
        int at = epoch;
        willTimer = schedule(() -> {
          if (epoch == at) {
            publishWill();
          }
        }, delay);
      }
    }
    scheduleExpiry();
  }

  /** Without a connection the session ends when its expiry interval has passed. */
  private void scheduleExpiry() {
    if (expiryInterval != SessionExpiry.NEVER) {
      int at = epoch;
      expiryTimer = schedule(() -> {
        if (epoch == at && connection == null) {
          releaseShared();
          end();
        }
      }, expiryInterval);
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
        Map.copyOf(subscriptions),
        queuedCount(),
        inflight.size());
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
      end();
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
    epoch++;
    cancelTimers();
    closeTakenOver("the client connected to another node");
    if (cleanStart) {
      releaseShared();
      end();
      result.complete(null);
      return;
    }
    // The will waits with the state: a hand-over that does not happen leaves the session as it
    // was, will included.
    HandOver h = new HandOver(this, snapshot(), will);
    will = null;
    // What was sent belongs to the new owner once it confirms; what arrives from now on waits
    // here in the queue and follows it.
    inflight = NO_INFLIGHT;
    queue = null;
    resendPending = null;
    inboundQos2 = NO_IDS;
    migration().pending = h;
    result.complete(h);
  }

  /** The new owner installed the state: what queued meanwhile follows, later arrivals too. */
  void handOverConfirmed(HandOver h, String newOwner) {
    if (migration == null || migration.pending != h) {
      return;
    }
    Migration m = migration;
    m.pending = null;
    becomeRedirect(newOwner);
    if (queue != null) {
      for (Delivery d : queue) {
        redirect(d, 0);
      }
      queue = null;
    }
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
    epoch++;
    cancelTimers();
    closeTakenOver("the client is connected to another node");
    will = null;
    List<Delivery> left = new ArrayList<>(inflight.size() + queuedCount());
    // A QoS 2 message whose PUBREC arrived is the client's already: it does not go again.
    inflight.values().forEach(f -> {
      if (!f.released()) {
        left.add(f.delivery());
      }
    });
    if (queue != null) {
      left.addAll(queue);
    }
    inflight = NO_INFLIGHT;
    resendPending = null;
    queue = null;
    inboundQos2 = NO_IDS;
    becomeRedirect(newOwner);
    for (Delivery d : left) {
      redirect(d, 0);
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

  /** From now on what reaches this session goes to {@code newOwner}, for the redirect time. */
  private void becomeRedirect(String newOwner) {
    Migration m = migration();
    m.seen = null;
    m.movedTo = newOwner;
    moved = true;
    registry.movedAway(this);
    int at = ++epoch;
    expiryTimer = scheduleMillis(() -> endRedirect(at), registry.redirectMillis());
  }

  /**
   * The redirect time is over: the redirect ends once no forward sent here before the move can
   * still arrive (a frozen or cut-off peer re-sends them when it is back), checked every second.
   */
  private void endRedirect(int at) {
    if (epoch != at || !moved) {
      return;
    }
    if (registry.cluster().isSettled()) {
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
    restoreMessages(h.state());
    will = h.will();
    epoch++;
    releaseQueuedShared();
    String yieldTo = m.yieldTo;
    m.yieldTo = null;
    if (yieldTo != null) {
      // A healed partition found the client on a later owner while this was frozen.
      answerWaiting(m);
      yieldTo(yieldTo);
      return;
    }
    scheduleExpiry();
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

  /** Puts back the messages of a hand-over that did not happen, ahead of what came meanwhile. */
  private void restoreMessages(SessionSnapshot s) {
    if (!s.inflight().isEmpty()) {
      Map<Integer, InflightMessage> back = new LinkedHashMap<>();
      s.inflight().forEach(f -> back.put(f.packetId(), f));
      back.putAll(inflight);
      inflight = back;
    }
    if (!s.queued().isEmpty()) {
      ArrayDeque<Delivery> back = new ArrayDeque<>(s.queued());
      if (queue != null) {
        back.addAll(queue);
      }
      queue = back;
    }
    if (!s.inboundQos2().isEmpty()) {
      Set<Integer> ids = new HashSet<>(s.inboundQos2());
      ids.addAll(inboundQos2);
      inboundQos2 = ids;
    }
  }

  /** A redirect is over, or a connection attaches to it: it is an ordinary session again. */
  private void leaveRedirect() {
    migration.movedTo = null;
    if (moved) {
      moved = false;
      registry.movedBack(this);
    }
  }

  private Migration migration() {
    if (migration == null) {
      migration = new Migration();
    }
    return migration;
  }

  private SessionSnapshot snapshot() {
    SeenMessages seen = migration == null ? null : migration.seen;
    return new SessionSnapshot(
        Map.copyOf(subscriptions),
        List.copyOf(inflight.values()),
        queue == null ? List.of() : List.copyOf(queue),
        Set.copyOf(inboundQos2),
        expiryInterval,
        lastPacketId,
        seen == null || seen.isOver(now()) ? List.of() : seen.keys());
  }

  private void restore(SessionSnapshot s) {
    s.subscriptions().forEach(this::subscribe);
    for (InflightMessage f : s.inflight()) {
      writableInflight().put(f.packetId(), f);
    }
    if (!s.queued().isEmpty()) {
      writableQueue().addAll(s.queued());
    }
    if (!s.inboundQos2().isEmpty()) {
      inboundQos2 = new HashSet<>(s.inboundQos2());
    }
    lastPacketId = s.lastPacketId();
    // Messages sent to the old node before the routes moved may now come here twice.
    List<MessageKey> known = new ArrayList<>(s.seen());
    s.inflight().forEach(f -> known.add(MessageKey.of(f.delivery().message())));
    s.queued().forEach(d -> known.add(MessageKey.of(d.message())));
    migration().seen = new SeenMessages(known, now() + 2 * registry.redirectMillis());
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
  }

  public long expiryInterval() {
    return expiryInterval;
  }

  // ---- outbound messages ----

  /** Sends or queues one delivery routed on this node. */
  public void deliver(Delivery d) {
    deliverRedirected(d, 0);
  }

  /**
   * Sends or queues one delivery that was redirected {@code hops} times from nodes this session
   * has left; a session that has itself moved on passes it further.
   */
  public void deliverRedirected(Delivery d, int hops) {
    if (ended) {
      if (d.sharedGroup() != null) {
        // Chosen just as this member left: another member takes it.
        registry.redeliverShared(d, clientId);
      } else {
        registry.metrics().dropped(DropReason.SESSION_ENDED);
      }
      return;
    }
    if (migration != null && !admitWhileMigrating(d, hops)) {
      return;
    }
    if (d.message().isExpired(now())) {
      registry.metrics().dropped(DropReason.EXPIRED);
      return;
    }
    if (d.qos() == 0) {
      if (online && connection.isWritable()) {
        write(OutboundPublish.of(d, 0, false, isV5(), now()));
      } else {
        registry.metrics().dropped(DropReason.QOS0_NOT_DELIVERABLE);
      }
      return;
    }
    if (online && queue == null && noResends() && inflight.size() < window() && writable()) {
      sendNew(d);
    } else {
      enqueue(d);
    }
  }

  /**
   * The connection's socket takes writes again (its outbound buffer fell below the low water
   * mark): what waited for it goes out. Does nothing when {@code conn} is no longer this
   * session's connection.
   */
  public void onWritable(ClientConnection conn) {
    if (connection == conn) {
      drainQueue();
    }
  }

  /** Whether a delivery is for this session here: not moved on, and not a second copy. */
  private boolean admitWhileMigrating(Delivery d, int hops) {
    Migration m = migration;
    if (m.movedTo != null) {
      redirect(d, hops);
      return false;
    }
    if (m.seen == null) {
      return true;
    }
    if (hops > 0) {
      // The old node still redirects (it waits for peers that were away): so may others.
      m.seen.extendTo(now() + 2 * registry.redirectMillis());
    }
    if (m.seen.isOver(now())) {
      m.seen = null;
      if (m.isEmpty()) {
        migration = null;
      }
      return true;
    }
    if (!m.seen.firstTime(d.message())) {
      registry.metrics().dropped(DropReason.DUPLICATE);
      return false;
    }
    return true;
  }

  private void redirect(Delivery d, int hops) {
    if (hops >= MAX_REDIRECT_HOPS) {
      registry.metrics().dropped(DropReason.REDIRECT_LOOP);
      return;
    }
    registry.cluster().redirect(migration.movedTo, clientId, d, hops + 1);
  }

  public void onPubAck(int packetId) {
    InflightMessage f = inflight.get(packetId);
    if (f != null && f.delivery().qos() == 1) {
      removeInflight(packetId);
      drainQueue();
    }
  }

  public void onPubRec(int packetId, int reasonCode) {
    InflightMessage f = inflight.get(packetId);
    if (f == null || f.delivery().qos() != 2) {
      sendAck(PacketType.PUBREL, packetId, ReasonCode.PACKET_IDENTIFIER_NOT_FOUND);
      return;
    }
    if (ReasonCode.isError(reasonCode)) {
      // The receiver refused the message: the exchange ends here.
      removeInflight(packetId);
      drainQueue();
      return;
    }
    inflight.put(packetId, f.release());
    sendAck(PacketType.PUBREL, packetId, ReasonCode.SUCCESS);
  }

  public void onPubComp(int packetId) {
    InflightMessage f = inflight.get(packetId);
    if (f != null && f.released()) {
      removeInflight(packetId);
      drainQueue();
    }
  }

  public int queuedCount() {
    return queue == null ? 0 : queue.size();
  }

  public int inflightCount() {
    return inflight.size();
  }

  /**
   * {@link #queuedCount()} read from any thread without a task, for gauges summed over every
   * session ({@link SessionRegistry#heldMessages}): a racy read of a collection this session
   * changes unlocked, so it may be stale, or off while the session changes it. Never negative;
   * 0 if the read catches the collection half made (a racy read may see it before its
   * constructor's writes on a weakly ordered CPU).
   */
  int queuedCountRacy() {
    ArrayDeque<Delivery> q = queue;
    try {
      return q == null ? 0 : Math.max(0, q.size());
    } catch (RuntimeException e) {
      return 0;
    }
  }

  /** {@link #inflightCount()} read from any thread; racy like {@link #queuedCountRacy()}. */
  int inflightCountRacy() {
    Map<Integer, InflightMessage> f = inflight;
    try {
      return Math.max(0, f.size());
    } catch (RuntimeException e) {
      return 0;
    }
  }

  // ---- inbound QoS 2 ----

  /** Whether an inbound QoS 2 packet id was accepted and its PUBREL has not arrived. */
  public boolean isReceivingQos2(int packetId) {
    return inboundQos2.contains(packetId);
  }

  /** Records an inbound QoS 2 packet id accepted (answered with PUBREC). */
  public void receiveQos2(int packetId) {
    if (inboundQos2 == NO_IDS) {
      inboundQos2 = new HashSet<>();
    }
    inboundQos2.add(packetId);
  }

  /** PUBREL arrived; false when the id was unknown. */
  public boolean releaseQos2(int packetId) {
    return inboundQos2 != NO_IDS && inboundQos2.remove(packetId);
  }

  public int inboundQos2Count() {
    return inboundQos2.size();
  }

  // ---- subscriptions ----

  /** Adds or replaces a subscription in the session and the topic tree; returns the old options. */
  public SubscriptionOptions subscribe(String filter, SubscriptionOptions options) {
    writableSubscriptions().put(filter, options);
    SubscriptionOptions previous = registry.subscriptions().subscribe(clientId, filter, options);
    if (previous == null && isAdvertised(filter)) {
      registry.cluster().subscriptionAdded(filter);
    }
    return previous;
  }

  public boolean unsubscribe(String filter) {
    if (subscriptions.containsKey(filter)) {
      subscriptions.remove(filter);
      if (subscriptions.isEmpty()) {
        subscriptions = NO_SUBSCRIPTIONS;
      }
    }
    return removeFromTree(filter);
  }

  private boolean removeFromTree(String filter) {
    boolean removed = registry.subscriptions().unsubscribe(clientId, filter);
    if (removed && isAdvertised(filter)) {
      registry.cluster().subscriptionRemoved(filter);
    }
    return removed;
  }

  /**
   * Ordinary subscriptions are advertised to the cluster while they exist; shared ones only
   * while the client is connected, so other nodes stop choosing this node for a group the moment
   * its member here goes away (MQTT 5, 4.8.2: another member takes over).
   */
  private boolean isAdvertised(String filter) {
    return !filter.startsWith(Topics.SHARE_PREFIX) || sharedAdvertised;
  }

  private void advertiseShared(boolean on) {
    if (sharedAdvertised == on) {
      return;
    }
    sharedAdvertised = on;
    subscriptions.forEach((filter, options) -> {
      if (filter.startsWith(Topics.SHARE_PREFIX)) {
        if (on) {
          registry.cluster().subscriptionAdded(filter);
        } else {
          registry.cluster().subscriptionRemoved(filter);
        }
      }
    });
  }

  public Map<String, SubscriptionOptions> subscriptions() {
    return Collections.unmodifiableMap(subscriptions);
  }

  // ---- internals ----

  private boolean isV5() {
    return connection != null && connection.version().isV5();
  }

  private int window() {
    return Math.min(connection.receiveMaximum(), registry.settings().maxInflight());
  }

  /**
   * Whether the socket takes more QoS 1/2 publishes now. While it does not (a client that reads
   * slowly or not at all), they wait in the session queue, which is bounded and counted, rather
   * than in the socket's outbound buffer, which would hold up to a whole Receive Maximum of them;
   * the connection calls {@link #onWritable} once it drains.
   */
  private boolean writable() {
    return connection.isWritable();
  }

  private void sendNew(Delivery d) {
    int id = nextPacketId();
    Publish p = OutboundPublish.of(d, id, false, isV5(), now());
    if (write(p)) {
      writableInflight().put(id, new InflightMessage(id, d, false));
    }
  }

  /** Writes a PUBLISH unless it is too large for the client; returns whether it was written. */
  private boolean write(Publish p) {
    long max = connection.maximumPacketSize();
    if (max != Long.MAX_VALUE && MqttEncoder.encodedSize(p, connection.version()) > max) {
      registry.metrics().dropped(DropReason.TOO_LARGE);
      return false;
    }
    registry.metrics().messageOut(p.qos(), p.payload().length);
    connection.send(p);
    return true;
  }

  private void sendAck(PacketType type, int packetId, int reasonCode) {
    if (connection != null) {
      connection.send(
          new MqttPacket.PubResponse(type, packetId, reasonCode, MqttProperties.NONE));
    }
  }

  private void enqueue(Delivery d) {
    if (queuedCount() >= registry.settings().maxQueuedMessages()) {
      registry.metrics().dropped(DropReason.QUEUE_FULL);
      if (!registry.dropOldestOnOverflow()) {
        return;
      }
      if (queue != null) {
        queue.pollFirst();
      }
    }
    writableQueue().addLast(d);
  }

  private void drainQueue() {
    if (!online) {
      return;
    }
    long now = now();
    int window = window();
    // Resends first, in their original order; released entries are already on the wire. Both
    // loops stop while the socket is not writable: onWritable() resumes them.
    while (!noResends() && inflight.size() - resendPending.size() < window && writable()) {
      InflightMessage f = inflight.get(resendPending.pollFirst());
      if (f != null && !f.released()) {
        write(OutboundPublish.of(f.delivery(), f.packetId(), true, isV5(), now));
      }
    }
    if (resendPending != null && resendPending.isEmpty()) {
      resendPending = null;
    }
    while (noResends() && inflight.size() < window && queue != null && writable()) {
      Delivery d = queue.pollFirst();
      if (queue.isEmpty()) {
        queue = null;
      }
      if (d.message().isExpired(now)) {
        registry.metrics().dropped(DropReason.EXPIRED);
        continue;
      }
      sendNew(d);
    }
  }

  private int nextPacketId() {
    // inflight is bounded by the window (<= 65535), so a free id always exists.
    int id = lastPacketId;
    do {
      id = id == MAX_PACKET_ID ? 1 : id + 1;
    } while (inflight.containsKey(id));
    lastPacketId = id;
    return id;
  }

  private void publishWill() {
    Will w = will;
    will = null;
    if (w != null) {
      registry.publishWill(w.publishedAt(now()));
    }
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
    registry.remove(this);
  }

  /** No unacknowledged PUBLISH waiting to be re-sent after a resume. */
  private boolean noResends() {
    return resendPending == null || resendPending.isEmpty();
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
    releaseShared(false);
  }

  private void releaseShared(boolean sentToo) {
    if (queue == null && (!sentToo || inflight.isEmpty())) {
      return;
    }
    List<Delivery> moved = new ArrayList<>();
    if (sentToo) {
      Iterator<InflightMessage> it = inflight.values().iterator();
      while (it.hasNext()) {
        InflightMessage f = it.next();
        if (f.delivery().sharedGroup() != null && !f.released()) {
          moved.add(f.delivery());
          if (resendPending != null) {
            resendPending.remove(f.packetId());
          }
          it.remove();
        }
      }
      if (inflight.isEmpty()) {
        inflight = NO_INFLIGHT;
      }
    }
    if (queue != null) {
      queue.removeIf(
          d -> {
            if (d.sharedGroup() == null) {
              return false;
            }
            moved.add(d);
            return true;
          });
      if (queue.isEmpty()) {
        queue = null;
      }
    }
    for (Delivery d : moved) {
      registry.redeliverShared(d, clientId);
    }
  }

  private void clearState() {
    subscriptions.forEach((filter, options) -> removeFromTree(filter));
    subscriptions = NO_SUBSCRIPTIONS;
    queue = null;
    inflight = NO_INFLIGHT;
    resendPending = null;
    inboundQos2 = NO_IDS;
  }

  private Map<String, SubscriptionOptions> writableSubscriptions() {
    if (subscriptions == NO_SUBSCRIPTIONS) {
      // Sized for the common one or two filters; it grows like any HashMap.
      subscriptions = new HashMap<>(2);
    }
    return subscriptions;
  }

  private Map<Integer, InflightMessage> writableInflight() {
    if (inflight == NO_INFLIGHT) {
      inflight = new LinkedHashMap<>();
    }
    return inflight;
  }

  private void removeInflight(int packetId) {
    inflight.remove(packetId);
    if (inflight.isEmpty()) {
      inflight = NO_INFLIGHT;
    }
  }

  private ArrayDeque<Delivery> writableQueue() {
    if (queue == null) {
      queue = new ArrayDeque<>();
    }
    return queue;
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

  private ScheduledFuture<?> schedule(Runnable task, long seconds) {
    return home().schedule(() -> execute(task), seconds, TimeUnit.SECONDS);
  }

  private ScheduledFuture<?> scheduleMillis(Runnable task, long millis) {
    return home().schedule(() -> execute(task), millis, TimeUnit.MILLISECONDS);
  }

  private long now() {
    return System.currentTimeMillis();
  }
}

package io.simqtt.peer;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.simqtt.core.cluster.LocalNode;
import io.simqtt.core.cluster.RetainedStamp;
import io.simqtt.core.routing.DeliveryReceipt;
import io.simqtt.proto.peer.Challenge;
import io.simqtt.proto.peer.ClaimReply;
import io.simqtt.proto.peer.DeliveryState;
import io.simqtt.proto.peer.Forward;
import io.simqtt.proto.peer.ForwardAck;
import io.simqtt.proto.peer.Heartbeat;
import io.simqtt.proto.peer.Hello;
import io.simqtt.proto.peer.OwnedSession;
import io.simqtt.proto.peer.PeerFrame;
import io.simqtt.proto.peer.PeerReply;
import io.simqtt.proto.peer.RetainedUpdate;
import io.simqtt.proto.peer.Route;
import io.simqtt.proto.peer.RouteSnapshot;
import io.simqtt.proto.peer.SessionClaim;
import io.simqtt.proto.peer.SharedReturn;
import io.simqtt.store.CoreProtos;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One peer's stream into this node: it opens with a fresh challenge, checks the peer's Hello
 * against it, then applies the peer's routes, forwards, retained writes and session claims here.
 * gRPC calls {@link #onNext} for one stream one at a time; replies may be sent from other threads
 * and are serialised on the response observer, waiting for gRPC flow control when the peer reads
 * slowly (a large session's state goes out in many parts).
 *
 * <p>The dialer sends a heartbeat every keep-alive interval; a stream silent for longer than the
 * interval plus the keep-alive timeout is closed here, so a frozen or unreachable peer stops
 * being chosen for shared groups and its pending hand-overs resume here within seconds.
 */
final class InboundLink implements StreamObserver<PeerFrame>, HandOvers.ReplyStream {
  private static final Logger LOG = LoggerFactory.getLogger(InboundLink.class);
  private static final PeerReply HEARTBEAT =
      PeerReply.newBuilder().setHeartbeat(Heartbeat.getDefaultInstance()).build();

  /** What a stream into this node acts on; the same for every stream. */
  record Context(
      Handshake handshake,
      InboundStreams streams,
      RemoteRoutes routes,
      ClaimBook claims,
      HandOvers handOvers,
      LocalNode node,
      OutboundLinks links,
      Scheduler timer,
      long silenceNanos) {}

  private final Context cx;
  private final ServerCallStreamObserver<PeerReply> replies;
  private final byte[] challenge = Handshake.newChallenge();
  private String peerId;
  private volatile boolean closed;
  private volatile long lastHeardNanos;
  private Scheduler.Cancellable watchdog;
  /** Routes of a snapshot whose last part has not arrived yet; null otherwise. */
  private Map<String, Integer> snapshotParts;
  /** The forwards of the peer's incarnations this stream delivers; set with {@link #peerId}. */
  private volatile StreamForwards forwards;
  /** Replies waiting for gRPC flow control; guarded by {@link #replies}. */
  private final ArrayDeque<PeerReply> waiting = new ArrayDeque<>();
  /** What runs once {@link #waiting} is empty and the stream ready; guarded by {@link #replies}. */
  private final List<Runnable> whenDrained = new ArrayList<>(0);

  InboundLink(Context cx, ServerCallStreamObserver<PeerReply> replies) {
    this.cx = cx;
    this.replies = replies;
    this.lastHeardNanos = cx.timer().nanoTime();
    replies.setOnReadyHandler(this::drainReplies);
  }

  /** Sends the challenge the peer's Hello must prove the secret over, and starts watching. */
  void open() {
    reply(
        PeerReply.newBuilder()
            .setChallenge(Challenge.newBuilder().setNonce(ByteString.copyFrom(challenge)))
            .build());
    long period = Math.max(1, TimeUnit.NANOSECONDS.toMillis(cx.silenceNanos()) / 4);
    synchronized (this) {
      watchdog = cx.timer().scheduleRepeating(this::watch, period, TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public boolean isOpen() {
    return !closed;
  }

  /** Whether the forwards the peer re-sends on this stream (see its Hello) are all handled. */
  boolean caughtUp() {
    StreamForwards f = forwards;
    return f != null && f.caughtUp();
  }

  @Override
  public void onNext(PeerFrame frame) {
    lastHeardNanos = cx.timer().nanoTime();
    if (closed) {
      return;
    }
    if (peerId == null) {
      onHello(frame);
      return;
    }
    switch (frame.getBodyCase()) {
      case ROUTE_SNAPSHOT -> onRouteSnapshot(frame.getRouteSnapshot());
      case ROUTE_UPDATE -> {
        Route r = frame.getRouteUpdate().getRoute();
        cx.routes().updated(peerId, r.getFilter(), r.getCount());
      }
      case FORWARDS -> onForwards(frame.getForwards().getForwardsList());
      case RETAINED -> onRetained(frame.getRetained());
      case CLAIM -> onClaim(frame.getClaim());
      case CLAIM_SETTLED -> cx.handOvers().settled(peerId, frame.getClaimSettled(), cx.node());
      case HEARTBEAT -> reply(HEARTBEAT);
      case GOODBYE -> {
        LOG.info("peer {} is stopping", peerId);
        cx.links().get(peerId).peerLeft();
      }
      case OWNED -> {
        for (OwnedSession s : frame.getOwned().getSessionsList()) {
          cx.node().resolveOwner(s.getClientId(), s.getStamp(), peerId);
        }
      }
      default -> LOG.debug("peer {}: unexpected frame {}", peerId, frame.getBodyCase());
    }
  }

  private void onHello(PeerFrame frame) {
    if (!frame.hasHello()) {
      refuse("an unnamed caller", "the first frame must be Hello");
      return;
    }
    Hello hello = frame.getHello();
    String refusal = cx.handshake().checkHello(hello, challenge);
    if (refusal != null) {
      refuse("a caller calling itself '" + hello.getNodeId() + "'", refusal);
      return;
    }
    forwards = cx.streams().up(hello, this);
    peerId = hello.getNodeId();
    reply(
        PeerReply.newBuilder()
            .setHelloAccepted(cx.handshake().accepted(
                hello.getChallenge().toByteArray(), cx.node().keepsSessions()))
            .build());
  }

  /** Parts are collected until the last one; then the whole snapshot replaces the peer's routes. */
  private void onRouteSnapshot(RouteSnapshot part) {
    if (snapshotParts == null) {
      snapshotParts = new HashMap<>();
    }
    for (Route r : part.getRoutesList()) {
      snapshotParts.put(r.getFilter(), r.getCount());
    }
    if (!part.getMore()) {
      Map<String, Integer> routes = snapshotParts;
      snapshotParts = null;
      cx.routes().replaced(peerId, routes);
    }
  }

  private void onClaim(SessionClaim claim) {
    cx.claims()
        .onRemoteClaim(peerId, claim)
        // Not on the session's event loop: a large session takes a while to serialize.
        .thenAcceptAsync(
            answer -> {
              if (answer.handOver() != null) {
                cx.handOvers().send(peerId, claim.getClaimId(), answer.handOver(), this);
              } else {
                reply(
                    PeerReply.newBuilder()
                        .setClaimReply(
                            ClaimReply.newBuilder()
                                .setClaimId(claim.getClaimId())
                                .setOutcome(answer.outcome()))
                        .build());
              }
            });
  }

  /**
   * A batch of forwards, in order, numbered by one incarnation of the peer. It is acknowledged
   * (with every batch of that incarnation before it) once each local session took its copy and,
   * in durable mode, that copy is durable, and so is the record that its forwards were seen: a
   * forward the peer stops holding must not be lost to a kill of this node, and one it sends
   * again because the acknowledgement was lost is not delivered twice. The count that completes
   * the frame queues the record behind the copies (session entries, the journal writes of
   * redirects), so a kill never keeps the record without them. A frame with a QoS 2 forward has
   * its copies written under one hold of the store, the record written as part of it: copies and
   * record reach the disk in one unit (unless the store cuts the hold), so a kill does not keep
   * the copies without the record either (the peer's resend would be delivered again). A frame of
   * QoS 0/1 forwards only is not held: a QoS 1 duplicate is allowed, and a hold keeps what is
   * queued behind its writes (acknowledgements among it) waiting until its release.
   *
   * <p>A forward for a session that moved on from this node is redirected to its new node. A
   * frame one of whose redirects the link there refused, this node stopping ({@link
   * OutboundLinks#close}: the listener is closed by then, and only deliveries of frames taken
   * before still run), is neither recorded as seen nor acknowledged: the peer keeps it and
   * sends it again after this node's restart, where it is routed afresh rather than dropped as
   * seen (its other copies may then be taken twice: a duplicate rather than a loss). A redirect
   * with no link at all (the new node is not a peer of this one) is dropped, counted ({@code
   * no_link}), and the frame acknowledged: sent again it would meet no link again, and an
   * acknowledgement held back would hold back every later one of the peer's incarnation, which
   * covers them all, and with them the peer's link, up to its budget.
   */
  private void onForwards(List<Forward> frame) {
    if (frame.isEmpty()) {
      return;
    }
    PeerForwards seen = forwards.of(frame.get(0).getIncarnation());
    PeerForwards.Batch batch = seen.open(frame.get(frame.size() - 1).getSeq(), frame.size());
    DeliveryReceipt receipt = new FrameDone(cx, seen, batch, carriesQos2(frame)).receipt;
    for (Forward f : frame) {
      if (seen.accept(batch, f.getSeq())) {
        onForward(f, receipt);
      }
    }
    receipt.routed();
  }

  /**
   * What a frame's receipt does as its last count goes: one object for both steps, so a frame
   * whose copies wrote nothing (no stored session) allocates nothing more.
   */
  private static final class FrameDone implements Runnable, Consumer<Boolean> {
    private final LocalNode node;
    private final OutboundLinks links;
    private final PeerForwards seen;
    private final PeerForwards.Batch batch;
    final DeliveryReceipt receipt;

    FrameDone(Context cx, PeerForwards seen, PeerForwards.Batch batch, boolean qos2) {
      this.node = cx.node();
      this.links = cx.links();
      this.seen = seen;
      this.batch = batch;
      this.receipt = new DeliveryReceipt(this, qos2 ? node.holdWrites() : null, this);
    }

    /** A redirect of the frame was refused as this node stops (see {@link #onForwards}). */
    private boolean withheld() {
      return receipt.isLost() && links.isClosed();
    }

    /** The copies are queued: what the frame took is recorded behind them. */
    @Override
    public void run() {
      if (!withheld()) {
        seen.written(batch);
      }
    }

    /** Every copy taken: handled once durable, if any was written. */
    @Override
    public void accept(Boolean stored) {
      if (withheld()) {
        return;
      }
      if (stored) {
        node.afterDurable(() -> seen.handled(batch));
      } else {
        seen.handled(batch);
      }
    }
  }

  /** Whether a forward of {@code frame} is QoS 2: one whose duplicate the spec does not allow. */
  private static boolean carriesQos2(List<Forward> frame) {
    for (int i = 0; i < frame.size(); i++) {
      Forward f = frame.get(i);
      int qos = f.hasRedirect() ? f.getRedirect().getDelivery().getQos() : f.getMessage().getQos();
      if (qos == 2) {
        return true;
      }
    }
    return false;
  }

  private void onForward(Forward f, DeliveryReceipt receipt) {
    if (f.hasRedirect()) {
      DeliveryState d = f.getRedirect().getDelivery().toBuilder().setMessage(f.getMessage()).build();
      cx.node()
          .deliverRedirected(
              f.getRedirect().getClientId(),
              CoreProtos.fromProto(d),
              f.getRedirect().getHops(),
              f.getRedirect().getSessionLineage(),
              receipt);
      return;
    }
    List<String> unserved =
        cx.node()
            .deliverForwarded(
                CoreProtos.fromProto(f.getMessage()), f.getDirect(), f.getSharedList(), receipt);
    if (!unserved.isEmpty()) {
      reply(
          PeerReply.newBuilder()
              .setSharedReturn(
                  SharedReturn.newBuilder().setMessage(f.getMessage()).addAllShared(unserved))
              .build());
    }
  }

  /** Tells the peer every forward its {@code incarnation} numbered up to {@code seq} is handled. */
  void sendAck(long incarnation, long seq) {
    reply(PeerReply.newBuilder()
        .setForwardAck(ForwardAck.newBuilder().setSeq(seq).setIncarnation(incarnation))
        .build());
  }

  private void onRetained(RetainedUpdate r) {
    RetainedStamp stamp = new RetainedStamp(r.getHlc(), r.getOriginNode());
    cx.node()
        .applyRetained(
            r.getTopic(), r.hasMessage() ? CoreProtos.fromProto(r.getMessage()) : null, stamp);
  }

  /** Closes a stream whose peer has been silent too long (frozen, partitioned, gone). */
  private void watch() {
    long silent = cx.timer().nanoTime() - lastHeardNanos;
    if (silent <= cx.silenceNanos() || closed) {
      return;
    }
    LOG.warn(
        "peer link from {} closed: silent for {} ms",
        peerId == null ? "an unnamed caller" : peerId,
        TimeUnit.NANOSECONDS.toMillis(silent));
    synchronized (replies) {
      if (!closed) {
        closed = true;
        waiting.clear();
        whenDrained.clear();
        replies.onError(Status.UNAVAILABLE.withDescription("silent too long").asRuntimeException());
      }
    }
    ended();
    if (peerId != null) {
      cx.links().get(peerId).peerSilent();
    }
  }

  private void refuse(String who, String why) {
    LOG.warn("refused a peer link from {}: {}", who, why);
    synchronized (replies) {
      closed = true;
      waiting.clear();
      replies.onError(Status.PERMISSION_DENIED.withDescription(why).asRuntimeException());
    }
    ended();
  }

  @Override
  public void reply(PeerReply reply) {
    synchronized (replies) {
      if (closed || replies.isCancelled()) {
        return;
      }
      if (waiting.isEmpty() && replies.isReady()) {
        replies.onNext(reply);
      } else {
        waiting.add(reply);
      }
    }
  }

  @Override
  public void whenReady(Runnable next) {
    synchronized (replies) {
      if (closed) {
        return;
      }
      if (!waiting.isEmpty() || !replies.isReady()) {
        whenDrained.add(next);
        return;
      }
    }
    next.run();
  }

  private void drainReplies() {
    List<Runnable> next;
    synchronized (replies) {
      while (!waiting.isEmpty() && !closed && replies.isReady()) {
        replies.onNext(waiting.poll());
      }
      if (closed || !waiting.isEmpty() || !replies.isReady() || whenDrained.isEmpty()) {
        return;
      }
      next = List.copyOf(whenDrained);
      whenDrained.clear();
    }
    next.forEach(Runnable::run);
  }

  /** Ends this stream from our side (a newer stream from the same peer replaced it). */
  void close() {
    synchronized (replies) {
      if (!closed) {
        closed = true;
        waiting.clear();
        whenDrained.clear();
        replies.onCompleted();
      }
    }
    ended();
  }

  @Override
  public void onError(Throwable t) {
    synchronized (replies) {
      closed = true;
      waiting.clear();
      whenDrained.clear();
    }
    ended();
  }

  @Override
  public void onCompleted() {
    synchronized (replies) {
      if (!closed) {
        closed = true;
        waiting.clear();
        whenDrained.clear();
        replies.onCompleted();
      }
    }
    ended();
  }

  /** Runs once per stream, whichever way it ended. */
  private synchronized void ended() {
    if (watchdog == null) {
      return;
    }
    watchdog.cancel();
    watchdog = null;
    cx.streams().down(peerId, this);
  }
}

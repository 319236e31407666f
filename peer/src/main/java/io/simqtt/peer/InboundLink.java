package io.simqtt.peer;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.simqtt.core.cluster.RetainedStamp;
import io.simqtt.proto.peer.Forward;
import io.simqtt.proto.peer.ForwardAck;
import io.simqtt.proto.peer.Hello;
import io.simqtt.proto.peer.HelloAccepted;
import io.simqtt.proto.peer.PeerFrame;
import io.simqtt.proto.peer.PeerReply;
import io.simqtt.proto.peer.RetainedUpdate;
import io.simqtt.proto.peer.Route;
import io.simqtt.proto.peer.SharedReturn;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One peer's stream into this node: its Hello is checked, then its routes, forwards, retained
 * writes and session claims are applied here. gRPC calls {@link #onNext} for one stream one at a
 * time; replies may be sent from other threads and are serialised on the response observer.
 */
final class InboundLink implements StreamObserver<PeerFrame> {
  private static final Logger LOG = LoggerFactory.getLogger(InboundLink.class);
  /** Acknowledge once this many forwards are handled (checked per batch), or after a delay. */
  private static final int ACK_EVERY = 64;
  private static final long ACK_DELAY_MILLIS = 5;

  private final PeerCluster cluster;
  private final ServerCallStreamObserver<PeerReply> replies;
  private final ScheduledExecutorService timer;
  private String peerId;
  private volatile boolean closed;
  // Guarded by this: the ack state is shared with the timer thread.
  private long handledSeq;
  private int unackedForwards;
  private boolean ackScheduled;

  InboundLink(
      PeerCluster cluster,
      ServerCallStreamObserver<PeerReply> replies,
      ScheduledExecutorService timer) {
    this.cluster = cluster;
    this.replies = replies;
    this.timer = timer;
  }

  String peerId() {
    return peerId;
  }

  @Override
  public void onNext(PeerFrame frame) {
    if (closed) {
      return;
    }
    if (peerId == null) {
      onHello(frame);
      return;
    }
    switch (frame.getBodyCase()) {
      case ROUTE_SNAPSHOT -> {
        Map<String, Integer> routes = new HashMap<>();
        for (Route r : frame.getRouteSnapshot().getRoutesList()) {
          routes.put(r.getFilter(), r.getCount());
        }
        cluster.peerRoutesReplaced(peerId, routes);
      }
      case ROUTE_UPDATE -> {
        Route r = frame.getRouteUpdate().getRoute();
        cluster.peerRouteUpdated(peerId, r.getFilter(), r.getCount());
      }
      case FORWARDS -> onForwards(frame.getForwards().getForwardsList());
      case RETAINED -> onRetained(frame.getRetained());
      case CLAIM ->
          cluster
              .claims()
              .onRemoteClaim(peerId, frame.getClaim())
              .thenAccept(reply -> reply(PeerReply.newBuilder().setClaimReply(reply).build()));
      default -> LOG.debug("peer {}: unexpected frame {}", peerId, frame.getBodyCase());
    }
  }

  private void onHello(PeerFrame frame) {
    if (!frame.hasHello()) {
      refuse("an unnamed caller", "the first frame must be Hello");
      return;
    }
    Hello hello = frame.getHello();
    String refusal = cluster.checkHello(hello);
    if (refusal != null) {
      refuse("a caller calling itself '" + hello.getNodeId() + "'", refusal);
      return;
    }
    peerId = hello.getNodeId();
    cluster.inboundUp(peerId, hello.getIncarnation(), this);
    reply(
        PeerReply.newBuilder()
            .setHelloAccepted(
                HelloAccepted.newBuilder()
                    .setNodeId(cluster.nodeId())
                    .setIncarnation(cluster.incarnation()))
            .build());
  }

  /** A batch of forwards, in order; acknowledged together (the ack covers up to the last). */
  private void onForwards(List<Forward> forwards) {
    if (forwards.isEmpty()) {
      return;
    }
    for (Forward f : forwards) {
      onForward(f);
    }
    boolean ackNow;
    synchronized (this) {
      handledSeq = forwards.get(forwards.size() - 1).getSeq();
      unackedForwards += forwards.size();
      ackNow = unackedForwards >= ACK_EVERY;
      if (!ackNow && !ackScheduled) {
        ackScheduled = true;
        timer.schedule(this::sendAck, ACK_DELAY_MILLIS, TimeUnit.MILLISECONDS);
      }
    }
    if (ackNow) {
      sendAck();
    }
  }

  private void onForward(Forward f) {
    if (!cluster.acceptForward(peerId, f.getSeq())) {
      return;
    }
    List<String> unserved =
        cluster
            .node()
            .deliverForwarded(
                ProtoConvert.fromProto(f.getMessage()), f.getDirect(), f.getSharedList());
    if (!unserved.isEmpty()) {
      reply(
          PeerReply.newBuilder()
              .setSharedReturn(
                  SharedReturn.newBuilder().setMessage(f.getMessage()).addAllShared(unserved))
              .build());
    }
  }

  private void sendAck() {
    long seq;
    synchronized (this) {
      ackScheduled = false;
      if (unackedForwards == 0) {
        return;
      }
      unackedForwards = 0;
      seq = handledSeq;
    }
    reply(PeerReply.newBuilder().setForwardAck(ForwardAck.newBuilder().setSeq(seq)).build());
  }

  private void onRetained(RetainedUpdate r) {
    RetainedStamp stamp = new RetainedStamp(r.getHlc(), r.getOriginNode());
    cluster
        .node()
        .applyRetained(
            r.getTopic(), r.hasMessage() ? ProtoConvert.fromProto(r.getMessage()) : null, stamp);
  }

  private void refuse(String who, String why) {
    closed = true;
    LOG.warn("refused a peer link from {}: {}", who, why);
    synchronized (replies) {
      replies.onError(Status.PERMISSION_DENIED.withDescription(why).asRuntimeException());
    }
  }

  void reply(PeerReply reply) {
    synchronized (replies) {
      if (!closed && !replies.isCancelled()) {
        replies.onNext(reply);
      }
    }
  }

  /** Ends this stream from our side (a newer stream from the same peer replaced it). */
  void close() {
    synchronized (replies) {
      if (!closed) {
        closed = true;
        replies.onCompleted();
      }
    }
  }

  @Override
  public void onError(Throwable t) {
    ended();
  }

  @Override
  public void onCompleted() {
    ended();
    synchronized (replies) {
      if (!closed) {
        closed = true;
        replies.onCompleted();
      }
    }
  }

  private void ended() {
    if (peerId != null) {
      cluster.inboundDown(peerId, this);
    }
  }
}

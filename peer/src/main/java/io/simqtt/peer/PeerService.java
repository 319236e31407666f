package io.simqtt.peer;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.simqtt.proto.peer.PeerFrame;
import io.simqtt.proto.peer.PeerReply;
import io.simqtt.proto.peer.PeerServiceGrpc;
import java.util.concurrent.ScheduledExecutorService;

/** The gRPC service peers dial: one {@link InboundLink} per stream. */
final class PeerService extends PeerServiceGrpc.PeerServiceImplBase {
  private final PeerCluster cluster;
  private final ScheduledExecutorService timer;
  private final long silenceNanos;

  PeerService(PeerCluster cluster, ScheduledExecutorService timer, long silenceNanos) {
    this.cluster = cluster;
    this.timer = timer;
    this.silenceNanos = silenceNanos;
  }

  @Override
  public StreamObserver<PeerFrame> link(StreamObserver<PeerReply> replies) {
    InboundLink link =
        new InboundLink(
            cluster, (ServerCallStreamObserver<PeerReply>) replies, timer, silenceNanos);
    link.open();
    return link;
  }
}

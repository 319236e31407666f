package io.simqtt.peer;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.simqtt.proto.peer.PeerFrame;
import io.simqtt.proto.peer.PeerReply;
import io.simqtt.proto.peer.PeerServiceGrpc;

/** The gRPC service peers dial: one {@link InboundLink} per stream. */
final class PeerService extends PeerServiceGrpc.PeerServiceImplBase {
  private final InboundLink.Context context;

  PeerService(InboundLink.Context context) {
    this.context = context;
  }

  @Override
  public StreamObserver<PeerFrame> link(StreamObserver<PeerReply> replies) {
    InboundLink link = new InboundLink(context, (ServerCallStreamObserver<PeerReply>) replies);
    link.open();
    return link;
  }
}

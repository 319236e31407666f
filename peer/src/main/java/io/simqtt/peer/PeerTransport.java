package io.simqtt.peer;

import io.grpc.ManagedChannel;
import io.grpc.ServerBuilder;
import io.simqtt.config.ClusterSettings.PeerAddress;

/**
 * How peer links travel: the server this node's peers dial and the channel it dials a peer on.
 * {@link NettyPeerTransport} in production; tests run whole clusters in one process over gRPC's
 * in-process transport, with links they can cut and black-hole.
 */
interface PeerTransport {

  /** The peer listener, not built yet (the cluster adds its services), taking frames up to {@code maxFrameBytes}. */
  ServerBuilder<?> server(int maxFrameBytes);

  /** A channel to {@code peer} taking replies up to {@code maxFrameBytes}. */
  ManagedChannel channel(PeerAddress peer, int maxFrameBytes);
}

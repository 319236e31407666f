package io.simqtt.peer;

import io.grpc.ManagedChannel;
import io.grpc.ServerBuilder;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.simqtt.config.ClusterSettings;
import io.simqtt.config.ClusterSettings.PeerAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** Peer links over TCP: the listener on {@code cluster.listen}, channels to each peer's address. */
final class NettyPeerTransport implements PeerTransport {
  private final ClusterSettings config;

  NettyPeerTransport(ClusterSettings config) {
    this.config = config;
  }

  @Override
  public ServerBuilder<?> server(int maxFrameBytes) {
    ClusterSettings.Timing timing = config.timing();
    return NettyServerBuilder.forAddress(
            new InetSocketAddress(config.listen().host(), config.listen().port()))
        .directExecutor()
        .maxInboundMessageSize(maxFrameBytes)
        // A backstop for idle transports (gRPC raises it to 10 s at least); peers' own pings are
        // allowed at that rate. Liveness itself is the links' heartbeats.
        .keepAliveTime(timing.keepAliveInterval().toMillis(), TimeUnit.MILLISECONDS)
        .keepAliveTimeout(timing.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .permitKeepAliveTime(5, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true);
  }

  @Override
  public ManagedChannel channel(PeerAddress peer, int maxFrameBytes) {
    ClusterSettings.Timing timing = config.timing();
    return NettyChannelBuilder.forAddress(peer.host(), peer.port())
        .usePlaintext()
        .directExecutor()
        .maxInboundMessageSize(maxFrameBytes)
        // A backstop for idle transports; gRPC raises anything under 10 s to 10 s.
        .keepAliveTime(timing.keepAliveInterval().toMillis(), TimeUnit.MILLISECONDS)
        .keepAliveTimeout(timing.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .keepAliveWithoutCalls(true)
        .build();
  }
}

package io.simqtt.peer;

import io.grpc.ManagedChannel;
import io.grpc.ServerBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.simqtt.config.ClusterSettings;
import io.simqtt.config.ClusterSettings.PeerAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Peer links over TCP, with mutual TLS when cluster.tls is on: the listener on {@code
 * cluster.listen}, channels to each peer's address.
 */
final class NettyPeerTransport implements PeerTransport {
  private final ClusterSettings config;
  /** Null for plain TCP. */
  private final LinkTls tls;

  NettyPeerTransport(ClusterSettings config, LinkTls tls) {
    this.config = config;
    this.tls = tls;
  }

  @Override
  public ServerBuilder<?> server(int maxFrameBytes) {
    ClusterSettings.Timing timing = config.timing();
    NettyServerBuilder b = NettyServerBuilder.forAddress(
        new InetSocketAddress(config.listen().host(), config.listen().port()));
    if (tls != null) {
      b.sslContext(tls.serverContext());
    }
    return b.directExecutor()
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
    return LinkTls.channel(peer, tls)
        .directExecutor()
        .maxInboundMessageSize(maxFrameBytes)
        // A backstop for idle transports; gRPC raises anything under 10 s to 10 s.
        .keepAliveTime(timing.keepAliveInterval().toMillis(), TimeUnit.MILLISECONDS)
        .keepAliveTimeout(timing.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .keepAliveWithoutCalls(true)
        .build();
  }
}

package io.simqtt.peer.admin;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.simqtt.config.AdminSettings;
import io.simqtt.config.ClusterSettings.PeerAddress;
import io.simqtt.core.Broker;
import io.simqtt.peer.PeerCluster;
import io.simqtt.store.DurableStore;
import io.simqtt.proto.admin.AdminServiceGrpc;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A node's admin API: AdminService (bearer token when admin.token is set), the standard health
 * service and server reflection on admin.host:admin.port; and, in a cluster, PeerAdminService on
 * the peer port so other nodes can gather this node's part.
 *
 * <p>Use: {@link #create} before {@code broker.start()} (the peer port's services are fixed when
 * it starts), {@link #start} after it.
 */
public final class AdminServer implements AutoCloseable {
  private final AdminSettings settings;
  private final LocalAdmin local;
  private final Gather gather;
  private final HealthStatusManager health = new HealthStatusManager();
  private Server server;

  private AdminServer(AdminSettings settings, LocalAdmin local, Gather gather) {
    this.settings = settings;
    this.local = local;
    this.gather = gather;
  }

  /** {@code cluster} is null for a single node; everything in memory. */
  public static AdminServer create(Broker broker, PeerCluster cluster, String version) {
    return create(broker, cluster, version, null);
  }

  /** {@code cluster} is null for a single node, {@code store} in memory. */
  public static AdminServer create(
      Broker broker, PeerCluster cluster, String version, DurableStore store) {
    var node = broker.settings();
    LocalAdmin local = new LocalAdmin(broker, cluster, version, store);
    List<PeerAddress> peers = cluster == null ? List.of() : node.cluster().peers();
    Set<String> peerIds = peers.stream().map(PeerAddress::id).collect(Collectors.toSet());
    PeerAuth auth = new PeerAuth(node.cluster().secret(), node.nodeId(), peerIds);
    if (cluster != null) {
      cluster.addService(ServerInterceptors.intercept(
          new PeerAdminEndpoint(local), auth.serverInterceptor()));
    }
    return new AdminServer(node.admin(), local,
        new Gather(node.nodeId(), peers, auth, cluster == null ? null : cluster.linkTls()));
  }

  /** Binds the admin port; call once the broker has started. */
  public synchronized void start() throws IOException {
    var admin = new AdminEndpoint(local, gather);
    var builder = NettyServerBuilder.forAddress(
            new InetSocketAddress(settings.listen().host(), settings.listen().port()))
        .addService(health.getHealthService())
        .addService(ProtoReflectionServiceV1.newInstance());
    if (settings.tls() != null) {
      builder.sslContext(GrpcSslContexts.forServer(
          settings.tls().certFile().toFile(), settings.tls().keyFile().toFile()).build());
    }
    builder.addService(settings.token().isEmpty()
        ? admin.bindService()
        : ServerInterceptors.intercept(
            admin, new BearerToken(settings.token(), settings.readOnlyToken())));
    server = builder.build().start();
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(AdminServiceGrpc.SERVICE_NAME, ServingStatus.SERVING);
  }

  /** The bound address (the real port when 0 was configured). */
  public InetSocketAddress address() {
    return (InetSocketAddress) server.getListenSockets().get(0);
  }

  @Override
  public synchronized void close() {
    gather.close();
    if (server != null) {
      health.enterTerminalState();
      server.shutdownNow();
      try {
        server.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}

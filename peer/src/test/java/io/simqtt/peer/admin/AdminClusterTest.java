package io.simqtt.peer.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.simqtt.config.SettingsLoader;
import io.simqtt.core.Broker;
import io.simqtt.peer.PeerCluster;
import io.simqtt.proto.admin.AdminServiceGrpc;
import io.simqtt.proto.admin.AdminServiceGrpc.AdminServiceBlockingStub;
import io.simqtt.proto.admin.ClusterStatus;
import io.simqtt.proto.admin.GetClientRequest;
import io.simqtt.proto.admin.GetMetricsRequest;
import io.simqtt.proto.admin.GetStatusRequest;
import io.simqtt.proto.admin.KickClientRequest;
import io.simqtt.proto.admin.ListClientsRequest;
import io.simqtt.proto.admin.ListClientsResponse;
import io.simqtt.proto.admin.ListSubscriptionsRequest;
import io.simqtt.proto.admin.MetricsResponse;
import io.simqtt.proto.admin.PeerAdminServiceGrpc;
import io.simqtt.proto.admin.NodeStatus;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Cluster-wide answers on a real three-node in-process cluster (gRPC peer links on 127.0.0.1):
 * any node answers for all, a stopped node is reported in missing_nodes, and the node-to-node
 * service refuses callers without the cluster secret. Its own small fixture: the shared
 * ClusterFixture is not on main yet.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.MethodName.class)
class AdminClusterTest {
  private static final int N = 3;
  private static final String SECRET = "admin-cluster-test-secret-0123";
  private static final Broker[] brokers = new Broker[N];
  private static final PeerCluster[] clusters = new PeerCluster[N];
  private static final AdminServer[] admins = new AdminServer[N];
  private static final ManagedChannel[] channels = new ManagedChannel[N];
  private static final int[] peerPorts = new int[N];

  @BeforeAll
  static void start() throws Exception {
    for (int i = 0; i < N; i++) {
      try (ServerSocket s = new ServerSocket(0)) {
        peerPorts[i] = s.getLocalPort();
      }
    }
    for (int i = 0; i < N; i++) {
      StringBuilder peers = new StringBuilder();
      for (int j = 0; j < N; j++) {
        if (j != i) {
          peers.append("{ id = n").append(j + 1).append(", host = \"127.0.0.1\", port = ")
              .append(peerPorts[j]).append(" },");
        }
      }
      var settings = SettingsLoader.fromString("node.id = n" + (i + 1) + "\n"
          + "mqtt.listeners.tcp { host = \"127.0.0.1\", port = 0 }\nmqtt.sys.interval = 0\n"
          + "admin { port = 0, token = t }\nmetrics.enabled = false\n"
          + "cluster { secret = \"" + SECRET + "\", listen { host = \"127.0.0.1\", port = "
          + peerPorts[i] + " }, peers = [" + peers + "] }");
      clusters[i] = new PeerCluster(settings);
      brokers[i] = new Broker(settings, clusters[i]);
      admins[i] = AdminServer.create(brokers[i], clusters[i], "test");
      brokers[i].start();
      admins[i].start();
      channels[i] = NettyChannelBuilder.forAddress("127.0.0.1", admins[i].address().getPort())
          .usePlaintext().build();
    }
    long deadline = System.currentTimeMillis() + 15_000;
    while (!(clusters[0].allLinksUp() && clusters[1].allLinksUp() && clusters[2].allLinksUp())) {
      assertTrue(System.currentTimeMillis() < deadline, "links did not come up");
      Thread.sleep(50);
    }
  }

  @AfterAll
  static void stop() {
    for (int i = 0; i < N; i++) {
      if (channels[i] != null) {
        channels[i].shutdownNow();
      }
      if (admins[i] != null) {
        admins[i].close();
      }
      if (brokers[i] != null) {
        brokers[i].close();
      }
    }
  }

  private static AdminServiceBlockingStub admin(int i) {
    io.grpc.Metadata h = new io.grpc.Metadata();
    h.put(BearerToken.AUTHORIZATION, "Bearer t");
    return AdminServiceGrpc.newBlockingStub(channels[i])
        .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(h));
  }

  private static Mqtt5BlockingClient client(int node, String id) {
    Mqtt5BlockingClient c = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1")
        .serverPort(brokers[node].mqttAddress().getPort()).buildBlocking();
    c.connect();
    return c;
  }

  @Test
  void anyNodeAnswersForTheWholeCluster() throws Exception {
    Mqtt5BlockingClient a = client(0, "cw-a");
    Mqtt5BlockingClient b = client(1, "cw-b");
    CompletableFuture<Throwable> kicked = new CompletableFuture<>();
    Mqtt5BlockingClient c = Mqtt5Client.builder().identifier("cw-c").serverHost("127.0.0.1")
        .serverPort(brokers[2].mqttAddress().getPort())
        .addDisconnectedListener(ctx -> kicked.complete(ctx.getCause())).buildBlocking();
    c.connect();
    a.subscribeWith().topicFilter("cw/+").send();
    c.subscribeWith().topicFilter("cw/#").send();

    ClusterStatus status = admin(1).getStatus(GetStatusRequest.getDefaultInstance());
    assertEquals(List.of("n2", "n1", "n3"),
        status.getNodesList().stream().map(NodeStatus::getNodeId).toList());
    for (NodeStatus n : status.getNodesList()) {
      assertEquals(2, n.getLinksCount());
      assertTrue(n.getIncarnation() != 0);
      n.getLinksList().forEach(l -> assertEquals("UP", l.getState(), n.getNodeId() + " " + l));
    }

    ListClientsResponse all = admin(1).listClients(
        ListClientsRequest.newBuilder().setClientIdPrefix("cw-").build());
    assertEquals(List.of("cw-a:n1", "cw-b:n2", "cw-c:n3"), all.getClientsList().stream()
        .map(x -> x.getClientId() + ":" + x.getNodeId()).toList());
    assertEquals(0, all.getMissingNodesCount());
    // Paged across nodes, one at a time.
    ListClientsResponse first = admin(0).listClients(ListClientsRequest.newBuilder()
        .setClientIdPrefix("cw-").setPageSize(1).build());
    ListClientsResponse second = admin(0).listClients(ListClientsRequest.newBuilder()
        .setClientIdPrefix("cw-").setPageSize(1).setPageToken(first.getNextPageToken()).build());
    assertEquals("cw-b", second.getClients(0).getClientId());
    assertEquals(List.of("cw-c"), admin(0).listClients(ListClientsRequest.newBuilder()
        .setNodeId("n3").setClientIdPrefix("cw-").build()).getClientsList().stream()
        .map(x -> x.getClientId()).toList());

    assertEquals("n3", admin(0).getClient(GetClientRequest.newBuilder().setClientId("cw-c")
        .build()).getClient().getNodeId());
    assertEquals(2, admin(0).listSubscriptions(ListSubscriptionsRequest.newBuilder()
        .setTopic("cw/x").build()).getSubscriptionsCount());

    MetricsResponse m = admin(2).getMetrics(GetMetricsRequest.getDefaultInstance());
    assertEquals(3, m.getNodesCount());
    assertEquals(3, m.getTotal().getSessions());

    // Kick through n1 a client on n3.
    assertEquals("n3", admin(0).kickClient(KickClientRequest.newBuilder().setClientId("cw-c")
        .build()).getNodeId());
    Throwable t = kicked.get(5, TimeUnit.SECONDS);
    assertEquals(Mqtt5DisconnectReasonCode.ADMINISTRATIVE_ACTION,
        ((Mqtt5DisconnectException) t).getMqttMessage().getReasonCode());
    a.disconnect();
    b.disconnect();
  }

  @Test
  void peerAdminServiceRefusesCallersWithoutTheSecret() {
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", peerPorts[0])
        .usePlaintext().build();
    try {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> PeerAdminServiceGrpc.newBlockingStub(ch)
              .getNodeStatus(GetStatusRequest.getDefaultInstance()));
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    } finally {
      ch.shutdownNow();
    }
  }

  /** Runs last (methods run by name): stops n3 for good. */
  @Test
  void zzNodeDownIsReportedMissing() {
    admins[2].close();
    brokers[2].close();
    channels[2].shutdownNow();
    admins[2] = null;
    brokers[2] = null;
    channels[2] = null;
    ClusterStatus s = admin(0).getStatus(GetStatusRequest.getDefaultInstance());
    assertEquals(List.of("n3"), s.getMissingNodesList());
    assertEquals(2, s.getNodesCount());
    assertEquals(List.of("n3"), admin(1).listClients(ListClientsRequest.getDefaultInstance())
        .getMissingNodesList());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> admin(0).getClient(GetClientRequest.newBuilder().setClientId("ghost").build()));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("n3"), e.getStatus().getDescription());
  }
}

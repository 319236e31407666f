package io.simqtt.peer.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.simqtt.proto.admin.AdminServiceGrpc.AdminServiceBlockingStub;
import io.simqtt.proto.admin.Client;
import io.simqtt.proto.admin.ClusterStatus;
import io.simqtt.proto.admin.ConnectionState;
import io.simqtt.proto.admin.DeleteRetainedRequest;
import io.simqtt.proto.admin.GetClientRequest;
import io.simqtt.proto.admin.GetMetricsRequest;
import io.simqtt.proto.admin.GetRetainedRequest;
import io.simqtt.proto.admin.GetStatusRequest;
import io.simqtt.proto.admin.KickClientRequest;
import io.simqtt.proto.admin.KickClientResponse;
import io.simqtt.proto.admin.ListClientsRequest;
import io.simqtt.proto.admin.ListClientsResponse;
import io.simqtt.proto.admin.ListRetainedRequest;
import io.simqtt.proto.admin.ListSubscriptionsRequest;
import io.simqtt.proto.admin.MessageProperties;
import io.simqtt.proto.admin.MetricsResponse;
import io.simqtt.proto.admin.PublishRequest;
import io.simqtt.proto.admin.ReloadRequest;
import io.simqtt.proto.admin.RetainedMessage;
import io.simqtt.proto.admin.UserProperty;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every AdminService call against one real node, with real MQTT clients. */
class AdminSingleNodeTest {
  private static AdminTestNode node;
  private static AdminServiceBlockingStub admin;

  @BeforeAll
  static void start() throws Exception {
    node = new AdminTestNode("");
    admin = node.stub();
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static Status.Code code(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
  }

  @Test
  void tokenIsRequiredButHealthAndReflectionAreOpen() {
    StatusRuntimeException none = assertThrows(StatusRuntimeException.class,
        () -> node.stub(null).getStatus(GetStatusRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNAUTHENTICATED, none.getStatus().getCode());
    assertTrue(none.getStatus().getDescription().contains("authorization"));
    assertEquals(Status.Code.UNAUTHENTICATED,
        code(() -> node.stub("wrong").getStatus(GetStatusRequest.getDefaultInstance())));
    HealthCheckResponse health = HealthGrpc.newBlockingStub(node.channel())
        .check(HealthCheckRequest.newBuilder().setService("simqtt.admin.v1.AdminService").build());
    assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.getStatus());
  }

  @Test
  void theReadOnlyTokenReadsButChangesNothing() throws Exception {
    AdminServiceBlockingStub ro = node.stub(AdminTestNode.READ_ONLY_TOKEN);
    Mqtt5BlockingClient c = node.client("ro-watched");
    try (var publishes = c.publishes(MqttGlobalPublishFilter.ALL)) {
      c.subscribeWith().topicFilter("ro/#").send();
      c.publishWith().topic("ro/kept").retain(true).qos(MqttQos.AT_LEAST_ONCE)
          .payload("v".getBytes(StandardCharsets.UTF_8)).send();
      assertEquals("ro/kept", publishes.receive(5, TimeUnit.SECONDS).get().getTopic().toString());

      assertEquals(1, ro.getStatus(GetStatusRequest.getDefaultInstance()).getNodesCount());
      assertEquals("ro-watched", ro.getClient(GetClientRequest.newBuilder()
          .setClientId("ro-watched").build()).getClient().getClientId());
      assertTrue(ro.listClients(ListClientsRequest.getDefaultInstance()).getClientsCount() > 0);
      assertEquals(1, ro.listSubscriptions(ListSubscriptionsRequest.newBuilder()
          .setClientId("ro-watched").build()).getSubscriptionsCount());
      assertEquals("v", ro.getRetained(GetRetainedRequest.newBuilder().setTopic("ro/kept")
          .build()).getPayload().toStringUtf8());
      assertTrue(ro.listRetained(ListRetainedRequest.newBuilder().setFilter("ro/#").build())
          .getMessagesCount() > 0);
      assertEquals(1, ro.getMetrics(GetMetricsRequest.getDefaultInstance()).getNodesCount());

      List<Runnable> changes = List.of(
          () -> ro.kickClient(KickClientRequest.newBuilder().setClientId("ro-watched").build()),
          () -> ro.deleteRetained(DeleteRetainedRequest.newBuilder().setTopic("ro/kept").build()),
          () -> ro.publish(PublishRequest.newBuilder().setTopic("ro/new").build()),
          () -> ro.reload(ReloadRequest.getDefaultInstance()));
      for (Runnable change : changes) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, change::run);
        assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("needs admin.token"),
            e.getStatus().getDescription());
      }
      assertTrue(c.getState().isConnected(), "not kicked");
      assertEquals("v", admin.getRetained(GetRetainedRequest.newBuilder().setTopic("ro/kept")
          .build()).getPayload().toStringUtf8(), "not deleted");
      admin.publish(PublishRequest.newBuilder().setTopic("ro/marker").build());
      assertEquals("ro/marker", publishes.receive(5, TimeUnit.SECONDS).get().getTopic()
          .toString(), "ro/new was never published: the admin token's marker comes first");
    } finally {
      admin.deleteRetained(DeleteRetainedRequest.newBuilder().setTopic("ro/kept").build());
      c.disconnect();
    }
  }

  @Test
  void statusDescribesTheNode() {
    ClusterStatus s = admin.getStatus(GetStatusRequest.getDefaultInstance());
    assertEquals(1, s.getNodesCount());
    assertEquals("n1", s.getNodes(0).getNodeId());
    assertEquals("test", s.getNodes(0).getVersion());
    assertTrue(s.getNodes(0).getMqttAddress().endsWith(":" + node.broker.mqttAddress().getPort()));
    assertEquals(0, s.getMissingNodesCount());
  }

  @Test
  void listGetAndPageClients() {
    List<Mqtt5BlockingClient> clients = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Mqtt5BlockingClient c = node.client("page-" + i);
      c.subscribeWith().topicFilter("page/" + i + "/#").qos(MqttQos.AT_LEAST_ONCE).send();
      clients.add(c);
    }
    List<String> seen = new ArrayList<>();
    String token = "";
    do {
      ListClientsResponse page = admin.listClients(ListClientsRequest.newBuilder()
          .setClientIdPrefix("page-").setPageSize(2).setPageToken(token).build());
      page.getClientsList().forEach(c -> seen.add(c.getClientId()));
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    assertEquals(List.of("page-0", "page-1", "page-2", "page-3", "page-4"), seen);

    Client c = admin.getClient(GetClientRequest.newBuilder().setClientId("page-3").build())
        .getClient();
    assertTrue(c.getConnected());
    assertEquals("5.0", c.getProtocolVersion());
    assertEquals(60, c.getKeepAlive());
    assertTrue(c.getRemoteAddress().startsWith("127.0.0.1:"), c.getRemoteAddress());
    assertEquals("page/3/#", c.getSubscriptions(0).getFilter());
    assertEquals(1, c.getSubscriptions(0).getQos());

    clients.get(4).disconnect();
    assertEquals(0, admin.listClients(ListClientsRequest.newBuilder().setClientIdPrefix("page-")
        .setState(ConnectionState.OFFLINE).build()).getClientsCount());
    clients.subList(0, 4).forEach(Mqtt5BlockingClient::disconnect);

    assertEquals(Status.Code.NOT_FOUND,
        code(() -> admin.getClient(GetClientRequest.newBuilder().setClientId("x").build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> admin.listClients(
        ListClientsRequest.newBuilder().setPageToken("not a token").build())));
    assertEquals(Status.Code.INVALID_ARGUMENT,
        code(() -> admin.listClients(ListClientsRequest.newBuilder().setPageSize(5000).build())));
  }

  @Test
  void kickIsSeenByTheClientAsAdministrativeAction() throws Exception {
    CompletableFuture<Throwable> cause = new CompletableFuture<>();
    Mqtt5BlockingClient victim = Mqtt5Client.builder().identifier("victim")
        .serverHost("127.0.0.1").serverPort(node.broker.mqttAddress().getPort())
        .addDisconnectedListener(ctx -> cause.complete(ctx.getCause()))
        .buildBlocking();
    victim.connectWith().cleanStart(true).sessionExpiryInterval(300).send();
    victim.subscribeWith().topicFilter("victim/#").send();

    KickClientResponse k = admin.kickClient(
        KickClientRequest.newBuilder().setClientId("victim").build());
    assertTrue(k.getWasConnected());
    Throwable t = cause.get(5, TimeUnit.SECONDS);
    assertTrue(t instanceof Mqtt5DisconnectException, t.toString());
    assertEquals(Mqtt5DisconnectReasonCode.ADMINISTRATIVE_ACTION,
        ((Mqtt5DisconnectException) t).getMqttMessage().getReasonCode());

    // The session outlived the kick (expiry 300 s) ...
    Client offline = admin.getClient(GetClientRequest.newBuilder().setClientId("victim").build())
        .getClient();
    assertFalse(offline.getConnected());
    assertEquals(1, offline.getSubscriptionsCount());
    // ... until it is discarded.
    assertTrue(admin.kickClient(KickClientRequest.newBuilder().setClientId("victim")
        .setDiscardSession(true).build()).getSessionDiscarded());
    assertEquals(Status.Code.NOT_FOUND,
        code(() -> admin.getClient(GetClientRequest.newBuilder().setClientId("victim").build())));
    assertEquals(Status.Code.NOT_FOUND,
        code(() -> admin.kickClient(KickClientRequest.newBuilder().setClientId("victim").build())));
  }

  @Test
  void subscriptionsByClientFilterAndTopic() {
    Mqtt5BlockingClient a = node.client("subs-a");
    Mqtt5BlockingClient b = node.client("subs-b");
    a.subscribeWith().topicFilter("s/+/temp").qos(MqttQos.EXACTLY_ONCE).send();
    b.subscribeWith().topicFilter("s/#").send();
    b.subscribeWith().topicFilter("$share/g/s/room/temp").send();
    assertEquals(2, admin.listSubscriptions(ListSubscriptionsRequest.newBuilder()
        .setClientId("subs-b").build()).getSubscriptionsCount());
    assertEquals("subs-a", admin.listSubscriptions(ListSubscriptionsRequest.newBuilder()
        .setFilter("s/+/temp").build()).getSubscriptions(0).getClientId());
    assertEquals(3, admin.listSubscriptions(ListSubscriptionsRequest.newBuilder()
        .setTopic("s/room/temp").build()).getSubscriptionsCount());
    assertTrue(admin.listSubscriptions(ListSubscriptionsRequest.newBuilder()
        .setTopic("s/room/temp").setLimit(1).build()).getTruncated());
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> admin.listSubscriptions(
        ListSubscriptionsRequest.newBuilder().setFilter("a/#/b").build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> admin.listSubscriptions(
        ListSubscriptionsRequest.newBuilder().setTopic("a/+").build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> admin.listSubscriptions(
        ListSubscriptionsRequest.getDefaultInstance())));
    a.disconnect();
    b.disconnect();
  }

  @Test
  void retainedListGetDeleteSeenByANewSubscriber() throws Exception {
    Mqtt5BlockingClient pub = node.client("ret-pub");
    pub.publishWith().topic("r/1").retain(true).qos(MqttQos.AT_LEAST_ONCE)
        .payload("one".getBytes(StandardCharsets.UTF_8)).send();
    pub.publishWith().topic("r/2").retain(true).qos(MqttQos.AT_LEAST_ONCE)
        .payload("two".getBytes(StandardCharsets.UTF_8)).send();
    assertEquals(List.of("r/1", "r/2"), admin.listRetained(ListRetainedRequest.newBuilder()
        .setFilter("r/#").build()).getMessagesList().stream().map(RetainedMessage::getTopic)
        .toList());
    assertEquals("one", admin.getRetained(GetRetainedRequest.newBuilder().setTopic("r/1").build())
        .getPayload().toStringUtf8());

    admin.deleteRetained(DeleteRetainedRequest.newBuilder().setTopic("r/1").build());
    assertEquals(Status.Code.NOT_FOUND, code(() -> admin.getRetained(
        GetRetainedRequest.newBuilder().setTopic("r/1").build())));
    assertEquals(Status.Code.NOT_FOUND, code(() -> admin.deleteRetained(
        DeleteRetainedRequest.newBuilder().setTopic("r/1").build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> admin.getRetained(
        GetRetainedRequest.newBuilder().setTopic("r/#").build())));

    // A new subscriber to r/# gets r/2 only.
    Mqtt5BlockingClient sub = node.client("ret-sub");
    BlockingQueue<Mqtt5Publish> in = new LinkedBlockingQueue<>();
    sub.toAsync().publishes(MqttGlobalPublishFilter.ALL, in::add);
    sub.subscribeWith().topicFilter("r/#").send();
    sub.subscribeWith().topicFilter("marker").send();
    pub.publishWith().topic("marker").qos(MqttQos.AT_LEAST_ONCE).send();
    assertEquals("r/2", in.poll(5, TimeUnit.SECONDS).getTopic().toString());
    assertEquals("marker", in.poll(5, TimeUnit.SECONDS).getTopic().toString());
    pub.disconnect();
    sub.disconnect();
  }

  @Test
  void publishReachesSubscribersWithProperties() throws Exception {
    Mqtt5BlockingClient sub = node.client("pub-sub");
    BlockingQueue<Mqtt5Publish> in = new LinkedBlockingQueue<>();
    sub.toAsync().publishes(MqttGlobalPublishFilter.ALL, in::add);
    sub.subscribeWith().topicFilter("p/#").qos(MqttQos.EXACTLY_ONCE).send();
    int receivers = admin.publish(PublishRequest.newBuilder().setTopic("p/x").setQos(2)
        .setPayload(ByteString.copyFromUtf8("hi")).setProperties(MessageProperties.newBuilder()
            .setContentType("text/plain")
            .addUserProperties(UserProperty.newBuilder().setName("k").setValue("v")))
        .build()).getReceivers();
    assertEquals(1, receivers);
    Mqtt5Publish p = in.poll(5, TimeUnit.SECONDS);
    assertEquals("hi", new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8));
    assertEquals(MqttQos.EXACTLY_ONCE, p.getQos());
    assertEquals("text/plain", p.getContentType().get().toString());
    assertEquals("k", p.getUserProperties().asList().get(0).getName().toString());
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> admin.publish(
        PublishRequest.newBuilder().setTopic("p/+").build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> admin.publish(
        PublishRequest.newBuilder().setTopic("p/x").setQos(3).build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> admin.publish(
        PublishRequest.newBuilder().setTopic("$SYS/broker/version").build())));
    sub.disconnect();
  }

  @Test
  void metricsSnapshot() {
    MetricsResponse m = admin.getMetrics(GetMetricsRequest.getDefaultInstance());
    assertEquals(1, m.getNodesCount());
    assertEquals("n1", m.getNodes(0).getNodeId());
    assertEquals(3, m.getTotal().getMessagesReceivedCount());
    assertTrue(m.getNodes(0).getDropsMap().containsKey("queue_full"));
  }
}

package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.disconnectQuietly;
import static io.simqtt.peer.ClusterClients.connect;
import static io.simqtt.peer.ClusterClients.payloads;
import static io.simqtt.peer.ClusterClients.receiveAndAck;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttPacket.Disconnect;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.Clients;
import io.simqtt.core.it.RawClient;
import io.simqtt.core.session.Session;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A client's session moving between nodes, and two nodes racing for one client id. */
@Timeout(90)
class CrossNodeTakeoverTest extends SharedClusterTest {
  private static final Duration QUIET = Duration.ofMillis(700);

  @Test
  void offlineSessionMovesToBWithSubscriptionsAndQueuedQos1And2ExactlyOnce() throws Exception {
    Mqtt5BlockingClient pub = connect(cluster, C, "tk-pub");
    try {
      try (RawClient x = cluster.raw(A, MqttVersion.MQTT_5)) {
        assertFalse(x.connect("tk-x", true, 60, RawClient.sessionExpiry(300)).sessionPresent());
        x.subscribe("tk/one/#", 1);
        x.subscribe("tk/two/#", 2);
        x.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
        assertTrue(x.closedWithin(Duration.ofSeconds(3)));
      }
      cluster.awaitRoute(C, "tk/one/m", A);
      cluster.awaitRoute(C, "tk/two/m", A);
      List<String> queued = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        pub.publishWith().topic("tk/one/m").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("q1-" + i))
            .send();
        pub.publishWith().topic("tk/two/m").qos(MqttQos.EXACTLY_ONCE).payload(bytes("q2-" + i))
            .send();
        queued.add("q1-" + i);
        queued.add("q2-" + i);
      }
      await(ClusterFixture.WAIT,
          () -> queuedAt(A, "tk-x") == queued.size(),
          () -> "10 messages queued for tk-x on n1, have " + queuedAt(A, "tk-x"));

      try (RawClient x = cluster.raw(B, MqttVersion.MQTT_5)) {
        ConnAck ack = x.connect("tk-x", false, 60, RawClient.sessionExpiry(300));
        assertTrue(ack.sessionPresent(), "the session came over from n1");
        List<Publish> got = receiveAndAck(x, QUIET);
        assertEquals(new HashSet<>(queued), new HashSet<>(payloads(got)));
        assertEquals(queued.size(), got.size(), "each queued message exactly once: " + payloads(got));
        for (Publish p : got) {
          assertEquals(p.topic().startsWith("tk/one") ? 1 : 2, p.qos(), "QoS kept for " + p.topic());
        }
        await(ClusterFixture.WAIT, () -> sessionAt(A, "tk-x") == null,
            () -> "the session left n1");

        // The subscriptions now live on B: a publish on A and on C reaches X there, once.
        cluster.awaitRoute(A, "tk/one/m", B);
        cluster.awaitRoute(C, "tk/two/m", B);
        pub.publishWith().topic("tk/two/m").qos(MqttQos.EXACTLY_ONCE).payload(bytes("after-c"))
            .send();
        Mqtt5BlockingClient pubA = connect(cluster, A, "tk-pub-a");
        pubA.publishWith().topic("tk/one/m").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("after-a"))
            .send();
        pubA.disconnect();
        assertEquals(List.of("after-c", "after-a"), payloads(receiveAndAck(x, QUIET)));
      }
    } finally {
      disconnectQuietly(pub);
    }
  }

  @Test
  void connectedClientOnAIsDisconnectedWith0x8eWhenItConnectsToB() throws Exception {
    try (RawClient onA = cluster.raw(A, MqttVersion.MQTT_5);
        RawClient onB = cluster.raw(B, MqttVersion.MQTT_5)) {
      onA.connect("tk-live", true, 60, RawClient.sessionExpiry(300));
      onA.subscribe("live/#", 1);
      cluster.awaitRoute(C, "live/x", A);

      ConnAck ack = onB.connect("tk-live", false, 60, RawClient.sessionExpiry(300));
      assertTrue(ack.sessionPresent());
      Disconnect d = onA.expect(Disconnect.class, RawClient.WAIT);
      assertEquals(ReasonCode.SESSION_TAKEN_OVER, d.reasonCode());
      assertTrue(onA.closedWithin(Duration.ofSeconds(3)), "n1 closes the old connection");

      cluster.awaitRoute(C, "live/x", B);
      Mqtt5BlockingClient pub = connect(cluster, C, "tk-live-pub");
      pub.publishWith().topic("live/x").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("hi")).send();
      pub.disconnect();
      assertEquals(List.of("hi"), payloads(receiveAndAck(onB, QUIET)));
      assertFalse(onB.isClosed());
    }
  }

  @Test
  void inflightQos1OnAIsRedeliveredOnBWithDup() throws Exception {
    Mqtt5BlockingClient pub = connect(cluster, C, "tk-if-pub");
    try (RawClient onA = cluster.raw(A, MqttVersion.MQTT_5)) {
      onA.connect("tk-if", true, 60, RawClient.sessionExpiry(300));
      onA.subscribe("tkif/t", 1);
      cluster.awaitRoute(C, "tkif/t", A);
      pub.publishWith().topic("tkif/t").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("one")).send();
      Publish original = onA.expect(Publish.class, RawClient.WAIT);
      // Not acknowledged: in flight when the client moves.
      try (RawClient onB = cluster.raw(B, MqttVersion.MQTT_5)) {
        assertTrue(onB.connect("tk-if", false, 60, RawClient.sessionExpiry(300)).sessionPresent());
        Publish again = onB.expect(Publish.class, RawClient.WAIT);
        assertTrue(again.dup(), "a redelivery carries DUP");
        assertEquals(original.packetId(), again.packetId());
        assertEquals("one", Clients.text(again.payload()));
        onB.puback(again.packetId());
        assertNull(onB.read(QUIET), "once");
      }
    } finally {
      disconnectQuietly(pub);
    }
  }

  @Test
  void concurrentConnectsOnTwoNodesLeaveExactlyOneLiveConnection() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 10; round++) {
        raceOnce(pool, "race-" + round);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private void raceOnce(ExecutorService pool, String clientId) throws Exception {
    try (RawClient onA = cluster.raw(A, MqttVersion.MQTT_5);
        RawClient onB = cluster.raw(B, MqttVersion.MQTT_5)) {
      CountDownLatch go = new CountDownLatch(1);
      Future<ConnAck> ackA = pool.submit(() -> connectAfter(go, onA, clientId));
      Future<ConnAck> ackB = pool.submit(() -> connectAfter(go, onB, clientId));
      go.countDown();
      ConnAck a = ackA.get(15, TimeUnit.SECONDS);
      ConnAck b = ackB.get(15, TimeUnit.SECONDS);

      // Let the loser be told: DISCONNECT 0x8E after a CONNACK, or a refused CONNACK.
      boolean aGone = gone(onA, a);
      boolean bGone = gone(onB, b);
      String seen = clientId + ": n1 " + describe(a, onA) + ", n2 " + describe(b, onB);
      assertTrue(aGone != bGone, "exactly one connection stays: " + seen);

      RawClient winner = aGone ? onB : onA;
      int winnerNode = aGone ? B : A;
      int loserNode = aGone ? A : B;
      assertNotNull(sessionAt(winnerNode, clientId), seen);
      await(ClusterFixture.WAIT, () -> !connectedAt(loserNode, clientId),
          () -> "no connected session for " + clientId + " on the loser; " + seen);

      winner.subscribe("race/" + clientId, 1);
      cluster.awaitRoute(C, "race/" + clientId, winnerNode);
      Mqtt5BlockingClient pub = connect(cluster, C, clientId + "-pub");
      pub.publishWith().topic("race/" + clientId).qos(MqttQos.AT_LEAST_ONCE)
          .payload(bytes("works")).send();
      pub.disconnect();
      assertEquals(List.of("works"), payloads(receiveAndAck(winner, Duration.ofMillis(300))),
          seen);
    }
  }

  private static ConnAck connectAfter(CountDownLatch go, RawClient c, String clientId)
      throws InterruptedException {
    go.await();
    return c.connect(RawClient.connectPacket(
        MqttVersion.MQTT_5, clientId, false, 60, RawClient.sessionExpiry(60)));
  }

  /** Whether the connection ended: refused at CONNACK, or told to go and closed. */
  private static boolean gone(RawClient c, ConnAck ack) {
    if (ack.reasonCode() != ReasonCode.SUCCESS) {
      c.closedWithin(Duration.ofSeconds(3));
      return true;
    }
    return c.closedWithin(Duration.ofMillis(1500));
  }

  private static String describe(ConnAck ack, RawClient c) {
    List<String> after = new ArrayList<>();
    for (MqttPacket p : c.pending()) {
      after.add(p instanceof Disconnect d ? "DISCONNECT 0x" + Integer.toHexString(d.reasonCode())
          : p.toString());
    }
    return "CONNACK 0x" + Integer.toHexString(ack.reasonCode()) + " then " + after
        + (c.isClosed() ? " closed" : " open");
  }

  /** The session a node holds for the client; one that moved away and only redirects is none. */
  private static Session sessionAt(int node, String clientId) {
    Session s = cluster.broker(node).sessions().get(clientId);
    return s == null || s.isMoved() ? null : s;
  }

  private static boolean connectedAt(int node, String clientId) {
    Session s = sessionAt(node, clientId);
    return s != null && s.isConnected();
  }

  private static int queuedAt(int node, String clientId) {
    Session s = sessionAt(node, clientId);
    if (s == null) {
      return -1;
    }
    CompletableFuture<Integer> n = new CompletableFuture<>();
    s.execute(() -> n.complete(s.queuedCount()));
    return n.completeOnTimeout(-2, 5, TimeUnit.SECONDS).join();
  }
}

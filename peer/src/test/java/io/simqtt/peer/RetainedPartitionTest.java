package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.drain;
import static io.simqtt.core.it.Clients.inbox;
import static io.simqtt.peer.ClusterClients.QUIET;
import static io.simqtt.peer.ClusterClients.connect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.simqtt.core.it.Clients;
import io.simqtt.core.message.Message;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Retained messages across a real partition (the fixture's link proxies): a node that was cut off
 * rejoins with the state it kept, and the nodes reconcile at link-up.
 */
@Timeout(120)
class RetainedPartitionTest {
  static final int A = 0;
  static final int B = 1;
  /** Links come back at the next redial, up to the dialler's 5 s backoff (plus jitter) away. */
  static final Duration HEAL = Duration.ofSeconds(20);
  /** Heartbeats find a silent peer in about 5-6 s. */
  static final Duration DETECTION = Duration.ofSeconds(10);

  @Test
  void aMessageThatExpiredWhileANodeWasCutOffDoesNotLetTheOlderValueBack() throws Exception {
    try (ClusterFixture cluster = ClusterFixture.startProxied(2, "")) {
      Mqtt5BlockingClient onA = connect(cluster, A, "part-a");
      onA.publishWith().topic("exp/t").qos(MqttQos.AT_LEAST_ONCE).retain(true)
          .payload(bytes("old")).send();
      awaitRetained(cluster, B, "exp/t", "old");

      cluster.isolate(B);
      await(DETECTION,
          () -> !"UP".equals(cluster.cluster(A).linkStates().get("n2"))
              && !"UP".equals(cluster.cluster(B).linkStates().get("n1")),
          () -> "n1 and n2 find each other gone; " + cluster.linkStates());
      // Replaces "old" on n1 only: n2 never hears of it.
      onA.publishWith().topic("exp/t").qos(MqttQos.AT_LEAST_ONCE).retain(true)
          .payload(bytes("new")).messageExpiryInterval(1).send();
      awaitRetained(cluster, A, "exp/t", "new");
      await(ClusterFixture.WAIT,
          () -> cluster.broker(A).retained().match("exp/#", System.currentTimeMillis()).isEmpty(),
          () -> "\"new\" expires on n1");
      assertEquals("old", value(cluster, B, "exp/t"), "n2, cut off, still has the older value");

      cluster.rejoin(B);
      cluster.awaitHealed(HEAL);
      // Each node's link-up state went out before these markers on the same stream, so once a
      // node has the other's marker it has also reconciled with the other's whole state.
      publishMarker(cluster, A, "part-marker-a");
      publishMarker(cluster, B, "part-marker-b");
      awaitRetained(cluster, B, "exp/marker/part-marker-a", "m");
      awaitRetained(cluster, A, "exp/marker/part-marker-b", "m");

      for (int node : new int[] {A, B}) {
        assertNull(value(cluster, node, "exp/t"),
            "n" + (node + 1) + ": the expired write stays the last one, \"old\" does not return");
        Mqtt5BlockingClient late = connect(cluster, node, "part-late-" + node);
        BlockingQueue<Mqtt5Publish> in = inbox(late);
        late.subscribeWith().topicFilter("exp/t").qos(MqttQos.AT_LEAST_ONCE).send();
        assertEquals(List.of(), drain(in, QUIET),
            "a new subscriber on n" + (node + 1) + " gets no retained message");
        late.disconnect();
      }
      onA.disconnect();
    }
  }

  private static void publishMarker(ClusterFixture cluster, int node, String clientId) {
    Mqtt5BlockingClient c = connect(cluster, node, clientId);
    c.publishWith().topic("exp/marker/" + clientId).qos(MqttQos.AT_LEAST_ONCE).retain(true)
        .payload(bytes("m")).send();
    c.disconnect();
  }

  private static void awaitRetained(ClusterFixture cluster, int node, String topic, String v) {
    await(ClusterFixture.WAIT, () -> v.equals(value(cluster, node, topic)),
        () -> "n" + (node + 1) + " retains " + v + " on " + topic + ", has "
            + value(cluster, node, topic));
  }

  private static String value(ClusterFixture cluster, int node, String topic) {
    Message m = cluster.broker(node).retained().get(topic);
    return m == null ? null : Clients.text(m.payload());
  }
}

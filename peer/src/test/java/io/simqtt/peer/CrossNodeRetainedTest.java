package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.drain;
import static io.simqtt.core.it.Clients.inbox;
import static io.simqtt.core.it.Clients.take;
import static io.simqtt.core.it.Clients.text;
import static io.simqtt.peer.ClusterClients.QUIET;
import static io.simqtt.peer.ClusterClients.connect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.simqtt.core.it.Clients;
import io.simqtt.core.message.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Retained messages set or cleared on any node are the same on every node. */
@Timeout(90)
class CrossNodeRetainedTest extends FreshClusterTest {
  @Test
  void setOnASeenOnCClearedOnBGoneEverywhere() throws Exception {
    Mqtt5BlockingClient onA = connect(cluster, A, "ret-a");
    onA.publishWith().topic("ret/t").qos(MqttQos.AT_LEAST_ONCE).retain(true)
        .payload(bytes("v1")).send();
    awaitRetained(C, "ret/t", "v1");

    Mqtt5BlockingClient onC = connect(cluster, C, "ret-c");
    BlockingQueue<Mqtt5Publish> inC = inbox(onC);
    onC.subscribeWith().topicFilter("ret/#").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5Publish p = take(inC, ClusterFixture.WAIT);
    assertEquals("v1", text(p));
    assertTrue(p.isRetain(), "delivered as retained on subscribe");
    onC.disconnect();

    Mqtt5BlockingClient onB = connect(cluster, B, "ret-b");
    onB.publishWith().topic("ret/t").qos(MqttQos.AT_LEAST_ONCE).retain(true)
        .payload(new byte[0]).send();
    onB.disconnect();
    for (int n : new int[] {A, B, C}) {
      awaitRetained(n, "ret/t", null);
    }
    for (int n : new int[] {A, C}) {
      Mqtt5BlockingClient late = connect(cluster, n, "ret-late-" + n);
      BlockingQueue<Mqtt5Publish> in = inbox(late);
      late.subscribeWith().topicFilter("ret/#").qos(MqttQos.AT_LEAST_ONCE).send();
      assertEquals(
          List.of(), drain(in, QUIET), "cleared on n2, so nothing retained on n" + (n + 1));
      late.disconnect();
    }
    onA.disconnect();
  }

  @Test
  void concurrentSetsOnTwoNodesConvergeToOneValueEverywhere() throws Exception {
    Mqtt5BlockingClient onA = connect(cluster, A, "lww-a");
    Mqtt5BlockingClient onB = connect(cluster, B, "lww-b");
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 20; round++) {
        String topic = "lww/" + round;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> writes = new ArrayList<>();
        for (Mqtt5BlockingClient c : List.of(onA, onB)) {
          String value = (c == onA ? "a-" : "b-") + round;
          writes.add(pool.submit(() -> {
            go.await();
            c.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).retain(true)
                .payload(bytes(value)).send();
            return null;
          }));
        }
        go.countDown();
        for (Future<?> w : writes) {
          w.get(10, TimeUnit.SECONDS);
        }
        await(ClusterFixture.WAIT, () -> sameEverywhere(topic),
            () -> topic + " the same on every node: " + values(topic));
      }
    } finally {
      pool.shutdownNow();
      onA.disconnect();
      onB.disconnect();
    }
  }

  @Test
  void aNodeThatWasDownCatchesUpWhenItsLinkReturns() throws Exception {
    Mqtt5BlockingClient onA = connect(cluster, A, "cu-a");
    onA.publishWith().topic("cu/old").qos(MqttQos.AT_LEAST_ONCE).retain(true)
        .payload(bytes("before")).send();
    awaitRetained(C, "cu/old", "before");
    cluster.stop(C);
    onA.publishWith().topic("cu/new").qos(MqttQos.AT_LEAST_ONCE).retain(true)
        .payload(bytes("while-down")).send();
    onA.disconnect();
    cluster.restart(C);
    cluster.awaitLinksUp(ClusterFixture.WAIT);
    awaitRetained(C, "cu/new", "while-down");
    awaitRetained(C, "cu/old", "before");

    Mqtt5BlockingClient onC = connect(cluster, C, "cu-c");
    BlockingQueue<Mqtt5Publish> in = inbox(onC);
    onC.subscribeWith().topicFilter("cu/#").qos(MqttQos.AT_LEAST_ONCE).send();
    List<String> got = new ArrayList<>(List.of(text(take(in, ClusterFixture.WAIT))));
    got.addAll(drain(in, QUIET));
    got.sort(null);
    assertEquals(List.of("before", "while-down"), got);
    onC.disconnect();
  }

  private void awaitRetained(int node, String topic, String payload) {
    await(ClusterFixture.WAIT, () -> {
      String v = value(node, topic);
      return payload == null ? v == null : payload.equals(v);
    }, () -> "n" + (node + 1) + " retains " + payload + " on " + topic + ", has "
        + value(node, topic));
  }

  private String value(int node, String topic) {
    Message m = cluster.broker(node).retained().get(topic);
    return m == null ? null : Clients.text(m.payload());
  }

  private List<String> values(String topic) {
    List<String> v = new ArrayList<>();
    for (int n = 0; n < 3; n++) {
      v.add(value(n, topic));
    }
    return v;
  }

  private boolean sameEverywhere(String topic) {
    List<String> v = values(topic);
    return v.get(0) != null && v.stream().allMatch(v.get(0)::equals);
  }
}

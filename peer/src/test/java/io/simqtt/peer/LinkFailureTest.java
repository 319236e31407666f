package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.drain;
import static io.simqtt.core.it.Clients.inbox;
import static io.simqtt.core.it.Clients.take;
import static io.simqtt.core.it.Clients.takeN;
import static io.simqtt.core.it.Clients.text;
import static io.simqtt.peer.ClusterClients.QUIET;
import static io.simqtt.peer.ClusterClients.connect;
import static io.simqtt.peer.ClusterClients.numbered;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A node stopped and restarted while QoS 1 traffic flows between the other two. */
@Timeout(90)
class LinkFailureTest extends FreshClusterTest {
  @Test
  void qos1FlowBetweenSurvivorsLosesNothingAndRoutesConvergeAfterRestart() throws Exception {
    Mqtt5BlockingClient sub = connect(cluster, B, "lf-sub");
    BlockingQueue<Mqtt5Publish> inB = inbox(sub);
    sub.subscribeWith().topicFilter("lf/#").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient oldOnC = connect(cluster, C, "lf-old-c");
    oldOnC.subscribeWith().topicFilter("lf-old/#").qos(MqttQos.AT_LEAST_ONCE).send();
    cluster.awaitRoute(A, "lf/x", B);
    cluster.awaitRoute(A, "lf-old/x", C);

    Mqtt5BlockingClient pub = connect(cluster, A, "lf-pub");
    int total = 600;
    AtomicInteger published = new AtomicInteger();
    CompletableFuture<Void> flow = CompletableFuture.runAsync(() -> {
      for (String s : numbered("f", 0, total)) {
        pub.publishWith().topic("lf/x").qos(MqttQos.AT_LEAST_ONCE).payload(bytes(s)).send();
        published.incrementAndGet();
        if (published.get() % 50 == 0) {
          try {
            Thread.sleep(20); // spread the flow over the stop and the restart
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
    });

    await(ClusterFixture.WAIT, () -> published.get() >= 100, () -> "flow started");
    cluster.stop(C);
    await(ClusterFixture.WAIT, () -> published.get() >= 250,
        () -> "flow goes on while n3 is down");
    cluster.restart(C);
    cluster.awaitLinksUp(ClusterFixture.WAIT);
    flow.get(30, TimeUnit.SECONDS);

    List<String> got = takeN(inB, total, ClusterFixture.WAIT);
    got.addAll(drain(inB, QUIET));
    assertEquals(numbered("f", 0, total), got, "every QoS 1 message once, in order");

    // The restarted node's old routes are gone (replaced, not merged) ...
    cluster.awaitNoRoute(A, "lf-old/x", C);
    cluster.awaitNoRoute(B, "lf-old/x", C);
    // ... and a new subscriber on it gets messages again.
    Mqtt5BlockingClient newOnC = connect(cluster, C, "lf-new-c");
    BlockingQueue<Mqtt5Publish> inC = inbox(newOnC);
    newOnC.subscribeWith().topicFilter("lf/#").qos(MqttQos.AT_LEAST_ONCE).send();
    cluster.awaitRoute(A, "lf/x", C);
    pub.publishWith().topic("lf/x").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("again")).send();
    assertEquals("again", text(take(inC, ClusterFixture.WAIT)));
    assertEquals("again", text(take(inB, ClusterFixture.WAIT)));
    assertEquals(List.of(), drain(inC, QUIET));
    pub.disconnect();
    sub.disconnect();
    newOnC.disconnect();
  }

  @Test
  void whileAPeerIsDownTheOthersKeepServingAndRouteToEachOther() throws Exception {
    cluster.stop(C);
    Mqtt5BlockingClient sub = connect(cluster, A, "down-sub");
    BlockingQueue<Mqtt5Publish> in = inbox(sub);
    sub.subscribeWith().topicFilter("down/#").qos(MqttQos.AT_LEAST_ONCE).send();
    cluster.awaitRoute(B, "down/x", A);
    Mqtt5BlockingClient pub = connect(cluster, B, "down-pub");
    List<String> sent = numbered("d", 0, 20);
    for (String s : sent) {
      pub.publishWith().topic("down/x").qos(MqttQos.AT_LEAST_ONCE).payload(bytes(s)).send();
    }
    assertEquals(sent, takeN(in, sent.size(), ClusterFixture.WAIT));
    assertFalse(cluster.cluster(A).allLinksUp(), "n1's link to n3 is not up");
    assertEquals("UP", cluster.cluster(A).linkStates().get("n2"));
    pub.disconnect();
    sub.disconnect();
  }

  @Test
  void aRestartedPeerGetsRoutesAndServesItsOwnClientsAgain() throws Exception {
    Mqtt5BlockingClient onA = connect(cluster, A, "rr-a");
    BlockingQueue<Mqtt5Publish> inA = inbox(onA);
    onA.subscribeWith().topicFilter("rr/#").qos(MqttQos.AT_LEAST_ONCE).send();
    cluster.restart(B);
    cluster.awaitLinksUp(ClusterFixture.WAIT);
    cluster.awaitRoute(B, "rr/x", A); // the snapshot after the restart brings n1's route
    Mqtt5BlockingClient onB = connect(cluster, B, "rr-b");
    onB.publishWith().topic("rr/x").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("hello")).send();
    assertEquals("hello", text(take(inA, ClusterFixture.WAIT)));
    List<String> rest = new ArrayList<>(drain(inA, QUIET));
    assertEquals(List.of(), rest);
    onA.disconnect();
    onB.disconnect();
  }
}

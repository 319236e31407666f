package io.simqtt.peer;

import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.disconnectQuietly;
import static io.simqtt.core.it.Clients.drain;
import static io.simqtt.core.it.Clients.hiveBuilder;
import static io.simqtt.core.it.Clients.hiveConnected;
import static io.simqtt.core.it.Clients.inbox;
import static io.simqtt.core.it.Clients.take;
import static io.simqtt.core.it.Clients.takeN;
import static io.simqtt.core.it.Clients.text;
import static io.simqtt.peer.ClusterClients.QUIET;
import static io.simqtt.peer.ClusterClients.assertNoDuplicates;
import static io.simqtt.peer.ClusterClients.connect;
import static io.simqtt.peer.ClusterClients.numbered;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.simqtt.config.NodeSettings;
import io.simqtt.config.SettingsLoader;
import io.simqtt.core.Broker;
import io.simqtt.core.it.Clients;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Publish on one node, receive on others: every QoS, overlapping filters, no loops. */
@Timeout(60)
class CrossNodePubSubTest extends SharedClusterTest {
  @ParameterizedTest(name = "QoS {0}")
  @ValueSource(ints = {0, 1, 2})
  void subscribeOnAPublishOnB(int qos) throws Exception {
    String topic = "ab/q" + qos;
    Mqtt5BlockingClient sub = connect(cluster, A, "ab-sub-" + qos);
    Mqtt5BlockingClient pub = connect(cluster, B, "ab-pub-" + qos);
    try {
      BlockingQueue<Mqtt5Publish> in = inbox(sub);
      sub.subscribeWith().topicFilter(topic).qos(MqttQos.fromCode(qos)).send();
      cluster.awaitRoute(B, topic, A);

      List<String> sent = numbered("m", 0, 50);
      for (String s : sent) {
        pub.publishWith().topic(topic).qos(MqttQos.fromCode(qos)).payload(bytes(s)).send();
      }
      List<String> got = takeN(in, sent.size(), ClusterFixture.WAIT);
      assertEquals(sent, got, "every message once, in the publisher's order");
      assertEquals(List.of(), drain(in, QUIET), "nothing more");
    } finally {
      disconnectQuietly(sub);
      disconnectQuietly(pub);
    }
  }

  @Test
  void qosIsTheMinimumOfPublishAndSubscriptionAcrossNodes() throws Exception {
    Mqtt5BlockingClient sub = connect(cluster, C, "qmin-sub");
    Mqtt5BlockingClient pub = connect(cluster, A, "qmin-pub");
    try {
      BlockingQueue<Mqtt5Publish> in = inbox(sub);
      sub.subscribeWith().topicFilter("qmin/#").qos(MqttQos.AT_LEAST_ONCE).send();
      cluster.awaitRoute(A, "qmin/x", C);
      pub.publishWith().topic("qmin/x").qos(MqttQos.EXACTLY_ONCE).payload(bytes("two")).send();
      pub.publishWith().topic("qmin/x").qos(MqttQos.AT_MOST_ONCE).payload(bytes("zero")).send();
      Mqtt5Publish two = take(in, ClusterFixture.WAIT);
      Mqtt5Publish zero = take(in, ClusterFixture.WAIT);
      assertEquals("two", text(two));
      assertEquals(MqttQos.AT_LEAST_ONCE, two.getQos());
      assertEquals("zero", text(zero));
      assertEquals(MqttQos.AT_MOST_ONCE, zero.getQos());
    } finally {
      disconnectQuietly(sub);
      disconnectQuietly(pub);
    }
  }

  @Test
  void wildcardAndOverlappingFiltersGiveOneCopyPerSubscriber() throws Exception {
    // Two subscribers on A and one on C, each with several filters matching w/a/x.
    Mqtt5BlockingClient a1 = connect(cluster, A, "ov-a1");
    Mqtt5BlockingClient a2 = connect(cluster, A, "ov-a2");
    Mqtt5BlockingClient c1 = connect(cluster, C, "ov-c1");
    Mqtt5BlockingClient pubB = connect(cluster, B, "ov-pub-b");
    Mqtt5BlockingClient pubA = connect(cluster, A, "ov-pub-a");
    try {
      BlockingQueue<Mqtt5Publish> inA1 = inbox(a1);
      BlockingQueue<Mqtt5Publish> inA2 = inbox(a2);
      BlockingQueue<Mqtt5Publish> inC1 = inbox(c1);
      for (String filter : List.of("w/+/x", "w/#", "w/a/x", "+/a/+")) {
        a1.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).send();
      }
      a2.subscribeWith().topicFilter("w/#").qos(MqttQos.AT_LEAST_ONCE).send();
      for (String filter : List.of("#", "w/a/x", "w/+/+")) {
        c1.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).send();
      }
      cluster.awaitRoute(B, "w/a/x", A);
      cluster.awaitRoute(B, "w/a/x", C);
      cluster.awaitRoute(A, "w/a/x", C);

      pubB.publishWith().topic("w/a/x").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("from-b")).send();
      pubA.publishWith().topic("w/a/x").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("from-a")).send();

      // Two publishers on two nodes: no order between them, so compare sorted.
      List<String> expected = List.of("from-a", "from-b");
      assertEquals(expected, drainAtLeast(inA1, 2), "a1 (4 overlapping filters)");
      assertEquals(expected, drainAtLeast(inA2, 2), "a2 (same node as a1)");
      assertEquals(expected, drainAtLeast(inC1, 2), "c1 (3 overlapping filters)");
    } finally {
      for (Mqtt5BlockingClient c : List.of(a1, a2, c1, pubB, pubA)) {
        disconnectQuietly(c);
      }
    }
  }

  @Test
  void publishesNeverLoopBackOrDoubleWithThreeNodes() throws Exception {
    List<Mqtt5BlockingClient> subs = new ArrayList<>();
    List<BlockingQueue<Mqtt5Publish>> inboxes = new ArrayList<>();
    List<Mqtt5BlockingClient> pubs = new ArrayList<>();
    try {
      for (int n = 0; n < 3; n++) {
        Mqtt5BlockingClient s = connect(cluster, n, "loop-sub-" + n);
        inboxes.add(inbox(s));
        s.subscribeWith().topicFilter("loop/#").qos(MqttQos.AT_LEAST_ONCE).send();
        s.subscribeWith().topicFilter("loop/+").qos(MqttQos.AT_LEAST_ONCE).send();
        subs.add(s);
        pubs.add(connect(cluster, n, "loop-pub-" + n));
      }
      for (int from = 0; from < 3; from++) {
        for (int to = 0; to < 3; to++) {
          if (from != to) {
            cluster.awaitRoute(from, "loop/t", to);
          }
        }
      }
      long[] inBefore = new long[3];
      for (int n = 0; n < 3; n++) {
        inBefore[n] = cluster.broker(n).metrics().messagesIn(1);
      }
      List<String> sent = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        for (int n = 0; n < 3; n++) {
          String p = "n" + n + "-" + i;
          pubs.get(n).publishWith().topic("loop/t").qos(MqttQos.AT_LEAST_ONCE)
              .payload(bytes(p)).send();
          sent.add(p);
        }
      }
      for (int n = 0; n < 3; n++) {
        List<String> got = takeN(inboxes.get(n), sent.size(), ClusterFixture.WAIT);
        got.addAll(drain(inboxes.get(n), QUIET));
        assertNoDuplicates(got, "subscriber on n" + (n + 1));
        assertEquals(new java.util.HashSet<>(sent), new java.util.HashSet<>(got));
        // Per-publisher order survives the hop.
        for (int p = 0; p < 3; p++) {
          String prefix = "n" + p + "-";
          List<String> fromP = got.stream().filter(s -> s.startsWith(prefix)).toList();
          assertEquals(sent.stream().filter(s -> s.startsWith(prefix)).toList(), fromP,
              "order of publisher n" + (p + 1) + " at subscriber on n" + (n + 1));
        }
      }
      // A forwarded message is not a client publish on the receiving node: each node counts
      // exactly what its own publisher sent, so nothing came back in as a new publish.
      for (int n = 0; n < 3; n++) {
        assertEquals(20, cluster.broker(n).metrics().messagesIn(1) - inBefore[n],
            "QoS 1 publishes accepted from clients on n" + (n + 1));
      }
    } finally {
      subs.forEach(Clients::disconnectQuietly);
      pubs.forEach(Clients::disconnectQuietly);
    }
  }

  @Test
  void unsubscribeOnANodeStopsForwardingToIt() throws Exception {
    Mqtt5BlockingClient sub = connect(cluster, A, "unsub-sub");
    Mqtt5BlockingClient pub = connect(cluster, B, "unsub-pub");
    try {
      BlockingQueue<Mqtt5Publish> in = inbox(sub);
      sub.subscribeWith().topicFilter("uns/#").qos(MqttQos.AT_LEAST_ONCE).send();
      cluster.awaitRoute(B, "uns/x", A);
      sub.unsubscribeWith().topicFilter("uns/#").send();
      cluster.awaitNoRoute(B, "uns/x", A);
      pub.publishWith().topic("uns/x").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("no")).send();
      assertEquals(List.of(), drain(in, QUIET));
    } finally {
      disconnectQuietly(sub);
      disconnectQuietly(pub);
    }
  }

  @Test
  void aNodeWithNoPeersRunsAlone() throws Exception {
    NodeSettings settings = SettingsLoader.fromString(
        "node.id = \"solo\"\nmqtt.listeners.tcp { host = \"127.0.0.1\", port = 0 }\n"
            + "cluster.listen { host = \"127.0.0.1\", port = 0 }\n");
    PeerCluster alone = new PeerCluster(settings);
    try (Broker broker = new Broker(settings, alone)) {
      broker.start();
      assertEquals(Map.of(), alone.linkStates());
      assertTrue(alone.allLinksUp(), "no links: all (none) up");
      Mqtt5BlockingClient c =
          hiveConnected(hiveBuilder("127.0.0.1", broker.mqttAddress().getPort(), "solo-client"));
      BlockingQueue<Mqtt5Publish> in = inbox(c);
      c.subscribeWith().topicFilter("solo/#").qos(MqttQos.AT_LEAST_ONCE).send();
      c.publishWith().topic("solo/x").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("hi")).send();
      assertEquals("hi", text(take(in, ClusterFixture.WAIT)));
      c.disconnect();
    }
  }

  /** At least {@code n} messages (waiting for them) and whatever else comes before quiet, sorted. */
  private static List<String> drainAtLeast(BlockingQueue<Mqtt5Publish> q, int n)
      throws InterruptedException {
    List<String> got = takeN(q, n, ClusterFixture.WAIT);
    got.addAll(drain(q, QUIET));
    got.sort(null);
    return got;
  }
}

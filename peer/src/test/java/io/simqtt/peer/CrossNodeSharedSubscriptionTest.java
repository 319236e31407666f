package io.simqtt.peer;

import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.disconnectQuietly;
import static io.simqtt.core.it.Clients.drain;
import static io.simqtt.core.it.Clients.inbox;
import static io.simqtt.core.it.Clients.text;
import static io.simqtt.peer.ClusterClients.QUIET;
import static io.simqtt.peer.ClusterClients.connect;
import static io.simqtt.peer.ClusterClients.numbered;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.simqtt.core.it.Clients;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** One $share group with a member on each of three nodes: each message to exactly one member. */
@Timeout(90)
class CrossNodeSharedSubscriptionTest {
  private static final int A = 0;
  private static final int B = 1;
  private static final int C = 2;
  private static final int MESSAGES = 300;
  private static final String FILTER = "$share/g/sh/#";

  private ClusterFixture cluster;
  private final List<Mqtt5BlockingClient> members = new ArrayList<>();
  private final List<BlockingQueue<Mqtt5Publish>> inboxes = new ArrayList<>();
  private Mqtt5BlockingClient publisher;

  @BeforeEach
  void start() {
    cluster = ClusterFixture.start(3);
    for (int n = 0; n < 3; n++) {
      Mqtt5BlockingClient m = connect(cluster, n, "member-" + n);
      inboxes.add(inbox(m));
      m.subscribeWith().topicFilter(FILTER).qos(MqttQos.AT_LEAST_ONCE).send();
      members.add(m);
    }
    for (int at = 0; at < 3; at++) {
      for (int to = 0; to < 3; to++) {
        if (at != to) {
          cluster.awaitRoute(at, "sh/x", to);
        }
      }
    }
    publisher = connect(cluster, A, "sh-pub");
  }

  @AfterEach
  void stop() {
    members.forEach(Clients::disconnectQuietly);
    disconnectQuietly(publisher);
    cluster.close();
  }

  @Test
  void eachMessageGoesToExactlyOneMemberClusterWide() throws Exception {
    publish(0, MESSAGES);
    List<List<String>> got = collect(numbered("s", 0, MESSAGES), -1);
    for (int n = 0; n < 3; n++) {
      assertTrue(got.get(n).size() > 0, "member on n" + (n + 1) + " took part: " + sizes(got));
    }
  }

  @Test
  void aMemberLeavingMidStreamLeavesTheRestEverythingAfter() throws Exception {
    publish(0, MESSAGES / 2);
    members.get(B).disconnect(); // clean start, expiry 0: its membership ends now
    publish(MESSAGES / 2, MESSAGES);
    List<List<String>> got = collect(numbered("s", 0, MESSAGES), B);
    Set<String> afterLeave = new HashSet<>(numbered("s", MESSAGES / 2, MESSAGES));
    afterLeave.retainAll(got.get(B));
    assertEquals(Set.of(), afterLeave, "nothing published after the leave went to the leaver");
  }

  @Test
  void aNodeStoppedMidStreamLeavesTheRestEverythingAfter() throws Exception {
    publish(0, MESSAGES / 2);
    // What C's member has been handed before its node stops is its own; it may lose what was in
    // flight to it, which is why only what is published after the stop is counted strictly.
    cluster.stop(C);
    publish(MESSAGES / 2, MESSAGES);
    List<String> after = numbered("s", MESSAGES / 2, MESSAGES);
    List<String> rest = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!new HashSet<>(rest).containsAll(after) && System.nanoTime() < deadline) {
      for (int n : new int[] {A, B}) {
        Mqtt5Publish p = inboxes.get(n).poll(20, TimeUnit.MILLISECONDS);
        if (p != null) {
          rest.add(text(p));
        }
      }
    }
    rest.addAll(drain(inboxes.get(A), QUIET));
    rest.addAll(drain(inboxes.get(B), QUIET));
    Set<String> missing = new HashSet<>(after);
    missing.removeAll(rest);
    assertEquals(Set.of(), missing, "published after n3 stopped, received by nobody");
    ClusterClients.assertNoDuplicates(rest, "members on n1 and n2");
  }

  private void publish(int from, int to) {
    for (String s : numbered("s", from, to)) {
      publisher.publishWith().topic("sh/x").qos(MqttQos.AT_LEAST_ONCE).payload(bytes(s)).send();
    }
  }

  /**
   * Waits until all of {@code expected} arrived across the members; asserts no copies, except
   * that a message the {@code leaver} (-1: none) received but had not acknowledged when it left
   * may go once more to another member, as unacknowledged QoS 1 messages must.
   */
  private List<List<String>> collect(List<String> expected, int leaver)
      throws InterruptedException {
    List<List<String>> got = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    Set<String> union = new HashSet<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!union.containsAll(expected) && System.nanoTime() < deadline) {
      for (int n = 0; n < 3; n++) {
        Mqtt5Publish p = inboxes.get(n).poll(10, TimeUnit.MILLISECONDS);
        if (p != null) {
          got.get(n).add(text(p));
          union.add(text(p));
        }
      }
    }
    for (int n = 0; n < 3; n++) {
      got.get(n).addAll(drain(inboxes.get(n), QUIET));
    }
    Set<String> missing = new HashSet<>(expected);
    missing.removeAll(union);
    assertEquals(Set.of(), missing, "received by no member; per member " + sizes(got));
    List<String> all = new ArrayList<>();
    for (int n = 0; n < 3; n++) {
      if (n != leaver) {
        all.addAll(got.get(n));
      }
    }
    if (leaver >= 0) {
      assertEquals(Map.of(), ClusterClients.duplicates(got.get(leaver)),
          "the leaving member got copies");
    }
    assertEquals(Map.of(), ClusterClients.duplicates(all),
        "messages given to more than one member (or twice); per member " + sizes(got));
    return got;
  }

  private static List<Integer> sizes(List<List<String>> got) {
    return got.stream().map(List::size).toList();
  }
}

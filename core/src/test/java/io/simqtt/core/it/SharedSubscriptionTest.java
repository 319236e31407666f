package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.hiveConnected;
import static io.simqtt.core.it.Clients.inbox;
import static io.simqtt.core.it.Clients.take;
import static io.simqtt.core.it.Clients.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** $share groups: one member per message, round robin, members leaving, mixed subscriptions. */
class SharedSubscriptionTest {
  private static BrokerFixture f;
  private static Mqtt5AsyncClient pub;

  @BeforeAll
  static void start() {
    f = BrokerFixture.start();
    pub = hiveConnected(f, "sh-pub").toAsync();
  }

  @AfterAll
  static void stop() throws Exception {
    pub.disconnect().get(5, TimeUnit.SECONDS);
    f.close();
  }

  /** Publishes payloads from..to-1 at QoS 1 and waits for every PUBACK. */
  private static void publishRange(String topic, int from, int to) throws Exception {
    List<CompletableFuture<Mqtt5PublishResult>> acks = new ArrayList<>();
    for (int i = from; i < to; i++) {
      acks.add(
          pub.publishWith()
              .topic(topic)
              .qos(MqttQos.AT_LEAST_ONCE)
              .payload(bytes(String.valueOf(i)))
              .send());
    }
    CompletableFuture.allOf(acks.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
  }

  private static Mqtt5BlockingClient member(String id, List<String> sink) {
    Mqtt5BlockingClient c = hiveConnected(f, id);
    c.toAsync().publishes(MqttGlobalPublishFilter.ALL, p -> sink.add(text(p)));
    c.subscribeWith().topicFilter("$share/g/sh/#").qos(MqttQos.AT_LEAST_ONCE).send();
    return c;
  }

  private static int total(List<List<String>> sinks) {
    return sinks.stream().mapToInt(List::size).sum();
  }

  /** Every payload from..to-1 exactly once across the sinks. */
  private static void assertExactlyOnce(List<List<String>> sinks, int from, int to) {
    Set<String> seen = ConcurrentHashMap.newKeySet();
    for (List<String> s : sinks) {
      for (String p : s) {
        assertTrue(seen.add(p), "message " + p + " went to more than one member");
      }
    }
    for (int i = from; i < to; i++) {
      assertTrue(seen.contains(String.valueOf(i)), "message " + i + " reached no member");
    }
    assertEquals(to - from, seen.size());
  }

  @Test
  void eachMessageGoesToExactlyOneMemberRoundRobin() throws Exception {
    List<List<String>> sinks = new ArrayList<>();
    List<Mqtt5BlockingClient> members = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      List<String> sink = new CopyOnWriteArrayList<>();
      sinks.add(sink);
      members.add(member("sh-rr-" + i, sink));
    }
    publishRange("sh/rr", 0, 300);
    await("300 deliveries", () -> total(sinks) >= 300);
    assertExactlyOnce(sinks, 0, 300);
    for (List<String> s : sinks) {
      assertEquals(100, s.size(), "round robin over 3 connected members");
    }
    for (Mqtt5BlockingClient m : members) {
      m.disconnect();
    }
  }

  @Test
  void remainingMembersGetEverythingAfterOneLeaves() throws Exception {
    List<List<String>> sinks = new ArrayList<>();
    List<Mqtt5BlockingClient> members = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      List<String> sink = new CopyOnWriteArrayList<>();
      sinks.add(sink);
      members.add(member("sh-leave-" + i, sink));
    }
    publishRange("sh/leave", 0, 90);
    await("first 90", () -> total(sinks) >= 90);
    assertTrue(sinks.get(2).size() > 0);
    members.get(2).disconnect();
    await("session of the leaving member ends", () -> f.broker().sessions().get("sh-leave-2") == null);
    int leftWith = sinks.get(2).size();
    publishRange("sh/leave", 90, 180);
    await("180 deliveries", () -> total(sinks) >= 180);
    assertEquals(leftWith, sinks.get(2).size(), "nothing for the member that left");
    assertExactlyOnce(sinks, 0, 180);
    assertTrue(sinks.get(0).size() > 30 && sinks.get(1).size() > 30, "both remaining share");
    members.get(0).disconnect();
    members.get(1).disconnect();
  }

  @Test
  void unacknowledgedMessagesOfALeavingMemberGoToAnotherMember() throws Exception {
    Mqtt5BlockingClient steady = hiveConnected(f, "sh-steady");
    BlockingQueue<Mqtt5Publish> steadyIn = inbox(steady);
    steady.subscribeWith().topicFilter("$share/rd/rd/t").qos(MqttQos.AT_LEAST_ONCE).send();
    RawClient silent = RawClient.open(f, MqttVersion.MQTT_5);
    silent.connect("sh-silent", true, 60, MqttProperties.empty());
    silent.subscribe("$share/rd/rd/t", 1);
    // Round robin gives the silent member some of these; it never acknowledges them.
    publishRange("rd/t", 0, 10);
    List<String> held = new ArrayList<>();
    MqttPacket p;
    while ((p = silent.read(Duration.ofMillis(300))) != null) {
      if (p instanceof MqttPacket.Publish pub) {
        held.add(text(pub));
      }
    }
    assertTrue(!held.isEmpty(), "the silent member was chosen for some messages");
    Set<String> got = ConcurrentHashMap.newKeySet();
    for (int i = 0; i < 10 - held.size(); i++) {
      got.add(text(take(steadyIn)));
    }
    silent.close();
    for (int i = 0; i < held.size(); i++) {
      got.add(text(take(steadyIn)));
    }
    assertEquals(10, got.size(), "every message reached the group: " + got);
    assertNull(steadyIn.poll(200, TimeUnit.MILLISECONDS), "and only once");
    steady.disconnect();
  }

  @Test
  void sharedAndNormalSubscriptionOfOneClientGetBothCopies() throws Exception {
    Mqtt5BlockingClient c = hiveConnected(f, "sh-both");
    BlockingQueue<Mqtt5Publish> in = inbox(c);
    c.subscribeWith().topicFilter("$share/g2/both/t").qos(MqttQos.AT_LEAST_ONCE).send();
    c.subscribeWith().topicFilter("both/t").qos(MqttQos.AT_LEAST_ONCE).send();
    publishRange("both/t", 0, 1);
    assertEquals("0", text(take(in)));
    assertEquals("0", text(take(in)));
    assertNull(in.poll(200, TimeUnit.MILLISECONDS));
    c.disconnect();
  }

  @Test
  void twoGroupsEachGetEveryMessage() throws Exception {
    List<String> a = new CopyOnWriteArrayList<>();
    List<String> b = new CopyOnWriteArrayList<>();
    Mqtt5BlockingClient ca = hiveConnected(f, "sh-ga");
    ca.toAsync().publishes(MqttGlobalPublishFilter.ALL, p -> a.add(text(p)));
    ca.subscribeWith().topicFilter("$share/ga/grp/#").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient cb = hiveConnected(f, "sh-gb");
    cb.toAsync().publishes(MqttGlobalPublishFilter.ALL, p -> b.add(text(p)));
    cb.subscribeWith().topicFilter("$share/gb/grp/+").qos(MqttQos.AT_LEAST_ONCE).send();
    publishRange("grp/t", 0, 20);
    await("20 each", () -> a.size() >= 20 && b.size() >= 20);
    assertExactlyOnce(List.of(a), 0, 20);
    assertExactlyOnce(List.of(b), 0, 20);
    ca.disconnect();
    cb.disconnect();
  }

  @Test
  void unsubscribedMemberGetsNothingMore() throws Exception {
    List<String> a = new CopyOnWriteArrayList<>();
    List<String> b = new CopyOnWriteArrayList<>();
    Mqtt5BlockingClient ca = member("sh-un-a", a);
    Mqtt5BlockingClient cb = member("sh-un-b", b);
    publishRange("sh/un", 0, 10);
    await("10", () -> a.size() + b.size() >= 10);
    assertEquals(5, a.size());
    var ack = cb.unsubscribeWith().topicFilter("$share/g/sh/#").send();
    assertEquals(
        List.of(com.hivemq.client.mqtt.mqtt5.message.unsubscribe.unsuback.Mqtt5UnsubAckReasonCode.SUCCESS),
        ack.getReasonCodes());
    publishRange("sh/un", 10, 30);
    await("30", () -> a.size() + b.size() >= 30);
    assertEquals(5, b.size(), "nothing after UNSUBACK");
    assertExactlyOnce(List.of(a, b), 0, 30);
    ca.disconnect();
    cb.disconnect();
  }
}

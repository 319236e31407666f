package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.hiveConnected;
import static io.simqtt.core.it.Clients.inbox;
import static io.simqtt.core.it.Clients.take;
import static io.simqtt.core.it.Clients.text;
import static io.simqtt.core.it.RawClient.ack;
import static io.simqtt.core.it.RawClient.sessionExpiry;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.PacketType;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.metrics.DropReason;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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

  // ---- a member whose connection ends while its session lives on (MQTT 5, 4.8.2) ----

  /** A raw MQTT 5 member with Session Expiry 60 s and the given Receive Maximum (0: default). */
  private static RawClient rawMember(String id, boolean cleanStart, int receiveMaximum) {
    RawClient c = RawClient.open(f, MqttVersion.MQTT_5);
    MqttProperties p = sessionExpiry(60);
    if (receiveMaximum > 0) {
      p.receiveMaximum = receiveMaximum;
    }
    c.connect(id, cleanStart, 0, p);
    return c;
  }

  /** Completes the exchange of a PUBLISH sent to {@code c}. */
  private static void acknowledge(RawClient c, Publish p) {
    if (p.qos() == 1) {
      c.puback(p.packetId());
    } else {
      c.send(ack(PacketType.PUBREC, p.packetId()));
      assertEquals(PacketType.PUBREL, c.expect(PubResponse.class).type());
      c.send(ack(PacketType.PUBCOMP, p.packetId()));
    }
  }

  /**
   * Nothing more is on its way to {@code c}: whatever the broker had already written for it
   * arrives before the PINGRESP, so no timing is involved.
   */
  private static void assertNothingMoreFor(RawClient c) {
    c.send(MqttPacket.PingReq.INSTANCE);
    assertInstanceOf(MqttPacket.PingResp.class, c.next(), "nothing before the PINGRESP");
  }

  /** Ends the session of a raw member: DISCONNECT with Session Expiry 0. */
  private static void endSession(RawClient c) {
    c.disconnect(ReasonCode.NORMAL_DISCONNECTION, sessionExpiry(0));
    c.expectClosed();
    c.close();
  }

  /**
   * A message already sent to a member that then loses its connection stays with that session
   * (spec 4.8.2, 4.3.3): when the client comes back it gets the same packet id with DUP=1, once,
   * and never a second copy under a new id.
   */
  @ParameterizedTest(name = "QoS {0}")
  @ValueSource(ints = {1, 2})
  void messageSentToAMemberIsResentToItWithDupAfterReconnect(int qos) throws Exception {
    String id = "sh-back-" + qos;
    String topic = "back/" + qos;
    RawClient member = rawMember(id, true, 0);
    member.subscribe("$share/back/" + topic, qos);
    pub.publishWith()
        .topic(topic)
        .qos(MqttQos.fromCode(qos))
        .payload(bytes("once"))
        .send()
        .get(5, TimeUnit.SECONDS);
    Publish first = member.expect(Publish.class);
    assertFalse(first.dup());
    member.close(); // no PUBACK / PUBREC
    await("the member's connection ended", () -> !f.broker().sessions().get(id).isConnected());

    RawClient back = rawMember(id, false, 0);
    Publish again = back.expect(Publish.class);
    assertEquals("once", text(again));
    assertEquals(first.packetId(), again.packetId(), "resent under its packet id");
    assertTrue(again.dup(), "resent with DUP=1");
    acknowledge(back, again);
    assertNothingMoreFor(back);
    endSession(back);
  }

  /**
   * When a member's connection ends and its session lives on, what it was sent stays with it and
   * what was still queued for it (never sent) goes to another member.
   */
  @Test
  void queuedMessagesMoveToAnotherMemberWhileSentOnesStay() throws Exception {
    // Receive Maximum 1: of two messages, "0" goes out and "1" waits in the queue.
    RawClient a = rawMember("sh-mv-a", true, 1);
    a.subscribe("$share/mv/mv/t", 1);
    publishRange("mv/t", 0, 2);
    Publish sent = a.expect(Publish.class);
    assertEquals("0", text(sent));
    try (RawClient b = RawClient.open(f, MqttVersion.MQTT_5)) {
      b.connect("sh-mv-b");
      b.subscribe("$share/mv/mv/t", 1);
      a.close();
      Publish moved = b.expect(Publish.class);
      assertEquals("1", text(moved), "the queued message moved, the sent one did not");
      b.puback(moved.packetId());

      RawClient back = rawMember("sh-mv-a", false, 1);
      Publish again = back.expect(Publish.class);
      assertEquals("0", text(again));
      assertEquals(sent.packetId(), again.packetId());
      assertTrue(again.dup());
      back.puback(again.packetId());
      assertNothingMoreFor(back);
      assertNothingMoreFor(b);
      endSession(back);
    }
  }

  /**
   * The only member of a group connects again with Clean Start: its subscription ended with the
   * old session (MQTT 5 3.1.2.4), so what the old session had not finished of the group, sent or
   * queued, has no member left (4.8.2): dropped, counted, not given to the new session. Before, it
   * came back to the session, the new connection's.
   */
  @Test
  void aCleanStartOfTheOnlyMemberDropsWhatTheOldSessionHadNotFinished() throws Exception {
    long before = f.broker().metrics().drops(DropReason.NO_SUBSCRIBERS);
    RawClient a = rawMember("sh-clean-a", true, 1);
    a.subscribe("$share/clean/clean/t", 1);
    publishRange("clean/t", 0, 2);
    assertEquals("0", text(a.expect(Publish.class)), "\"1\" waits in the queue");
    RawClient again = rawMember("sh-clean-a", true, 0);
    await("both counted as dropped",
        () -> f.broker().metrics().drops(DropReason.NO_SUBSCRIBERS) >= before + 2);
    assertNothingMoreFor(again);
    endSession(again);
    a.close();
  }

  /**
   * A QoS 2 message sent to a member whose session ends before the PUBREC goes to no other member
   * ([MQTT-4.8.2-5]: the client may have it, and count on completing it); dropped, counted. What
   * was still queued for the member goes to another.
   */
  @Test
  void aQos2MessageSentToAMemberWhoseSessionEndsGoesToNoOtherMember() throws Exception {
    long before = f.broker().metrics().drops(DropReason.MEMBER_ENDED);
    RawClient a = RawClient.open(f, MqttVersion.MQTT_5);
    MqttProperties p = MqttProperties.empty(); // Session Expiry 0
    p.receiveMaximum = 1;
    a.connect("sh-end2-a", true, 0, p);
    a.subscribe("$share/end2/end2/t", 2);
    for (int i = 0; i < 2; i++) {
      pub.publishWith()
          .topic("end2/t")
          .qos(MqttQos.EXACTLY_ONCE)
          .payload(bytes(String.valueOf(i)))
          .send()
          .get(5, TimeUnit.SECONDS);
    }
    assertEquals("0", text(a.expect(Publish.class)), "\"1\" waits in the queue");
    try (RawClient b = RawClient.open(f, MqttVersion.MQTT_5)) {
      b.connect("sh-end2-b");
      b.subscribe("$share/end2/end2/t", 2);
      a.close(); // no PUBREC
      Publish moved = b.expect(Publish.class);
      assertEquals("1", text(moved), "the queued one moved, the one sent did not");
      acknowledge(b, moved);
      assertNothingMoreFor(b);
      assertEquals(before + 1, f.broker().metrics().drops(DropReason.MEMBER_ENDED));
    }
  }

  /** A member whose session ends with its connection hands on everything unfinished at QoS 1. */
  @Test
  void sentAndQueuedMessagesMoveWhenTheSessionEnds() throws Exception {
    RawClient a = RawClient.open(f, MqttVersion.MQTT_5);
    MqttProperties p = MqttProperties.empty(); // Session Expiry 0
    p.receiveMaximum = 1;
    a.connect("sh-end-a", true, 0, p);
    a.subscribe("$share/end/end/t", 1);
    publishRange("end/t", 0, 2);
    assertEquals("0", text(a.expect(Publish.class)));
    try (RawClient b = RawClient.open(f, MqttVersion.MQTT_5)) {
      b.connect("sh-end-b");
      b.subscribe("$share/end/end/t", 1);
      a.close();
      List<String> got = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        Publish moved = b.expect(Publish.class);
        got.add(text(moved));
        b.puback(moved.packetId());
      }
      assertEquals(List.of("0", "1"), got);
      assertNothingMoreFor(b);
    }
  }
}

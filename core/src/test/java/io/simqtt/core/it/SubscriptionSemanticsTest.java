package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.hiveConnected;
import static io.simqtt.core.it.Clients.inbox;
import static io.simqtt.core.it.Clients.take;
import static io.simqtt.core.it.Clients.text;
import static io.simqtt.core.it.PahoClients.collectInto;
import static io.simqtt.core.it.RawClient.ack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.unsubscribe.unsuback.Mqtt5UnsubAck;
import com.hivemq.client.mqtt.mqtt5.message.unsubscribe.unsuback.Mqtt5UnsubAckReasonCode;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttPacket.Subscription;
import io.simqtt.core.codec.MqttPacket.UnsubAck;
import io.simqtt.core.codec.MqttPacket.Unsubscribe;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.PacketType;
import io.simqtt.core.codec.ReasonCode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Subscription options and matching: No Local, Subscription Identifiers, overlapping
 * subscriptions, UNSUBSCRIBE, wildcards and $-topics.
 */
class SubscriptionSemanticsTest {
  private static BrokerFixture f;
  private static Mqtt5BlockingClient pub;

  @BeforeAll
  static void start() {
    f = BrokerFixture.start();
    pub = hiveConnected(f, "subs-pub");
  }

  @AfterAll
  static void stop() {
    pub.disconnect();
    f.close();
  }

  private static void send(String topic, MqttQos qos, String payload) {
    pub.publishWith().topic(topic).qos(qos).payload(bytes(payload)).send();
  }

  @Test
  void noLocalSuppressesOwnMessagesOnly() throws Exception {
    Mqtt5BlockingClient c = hiveConnected(f, "subs-nl");
    BlockingQueue<Mqtt5Publish> in = inbox(c);
    c.subscribeWith().topicFilter("nl/t").qos(MqttQos.AT_LEAST_ONCE).noLocal(true).send();
    c.subscribeWith().topicFilter("nl/echo").qos(MqttQos.AT_LEAST_ONCE).send();
    c.publishWith().topic("nl/t").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("own")).send();
    c.publishWith().topic("nl/echo").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("own-echo")).send();
    send("nl/t", MqttQos.AT_LEAST_ONCE, "other");
    assertEquals("own-echo", text(take(in)), "without No Local a client gets its own message");
    assertEquals("other", text(take(in)), "own message on the No Local subscription skipped");
    c.disconnect();
  }

  @Test
  void subscriptionIdentifiersAndOverlapV5() throws Exception {
    try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      c.connect("subs-ids");
      c.subscribe(1, 11, new Subscription("ov/#", 0, false, false, 0));
      c.subscribe(2, 22, new Subscription("ov/+/x", 2, false, false, 0));
      c.subscribe(3, 0, new Subscription("ov/a/+", 1, false, false, 0));
      c.subscribe(4, 44, new Subscription("other/#", 2, false, false, 0));

      send("ov/a/x", MqttQos.EXACTLY_ONCE, "all three");
      Publish p = c.expect(Publish.class);
      assertEquals("all three", text(p));
      assertEquals(2, p.qos(), "the highest granted QoS of the matching subscriptions");
      assertEquals(
          List.of(11, 22),
          p.properties().subscriptionIdentifiers.stream().sorted().toList(),
          "every matching subscription's identifier (ov/a/+ has none)");
      completeQos2(c, p.packetId());

      send("ov/b", MqttQos.EXACTLY_ONCE, "only #");
      Publish q = c.expect(Publish.class);
      assertEquals("only #", text(q));
      assertEquals(0, q.qos());
      assertEquals(List.of(11), q.properties().subscriptionIdentifiers);

      send("other/z", MqttQos.AT_LEAST_ONCE, "other");
      Publish r = c.expect(Publish.class);
      assertEquals(List.of(44), r.properties().subscriptionIdentifiers);
      c.send(ack(PacketType.PUBACK, r.packetId()));
      assertNull(c.poll(200), "one delivery per message, not one per subscription");
    }
  }

  private static void completeQos2(RawClient c, int packetId) throws Exception {
    c.send(ack(PacketType.PUBREC, packetId));
    PubResponse rel = c.expect(PubResponse.class);
    assertEquals(PacketType.PUBREL, rel.type());
    c.send(ack(PacketType.PUBCOMP, packetId));
  }

  @Test
  void resubscribeReplacesTheSubscriptionIdentifier() throws Exception {
    try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      c.connect("subs-reid");
      c.subscribe(1, 5, new Subscription("reid/t", 0, false, false, 0));
      c.subscribe(2, 6, new Subscription("reid/t", 0, false, false, 0));
      send("reid/t", MqttQos.AT_MOST_ONCE, "x");
      assertEquals(List.of(6), c.expect(Publish.class).properties().subscriptionIdentifiers);
      c.subscribe(3, 0, new Subscription("reid/t", 0, false, false, 0));
      send("reid/t", MqttQos.AT_MOST_ONCE, "y");
      assertEquals(List.of(), c.expect(Publish.class).properties().subscriptionIdentifiers);
    }
  }

  @Test
  void overlappingSubscriptionsV311GiveOneDeliveryAtHighestQos() throws Exception {
    BlockingQueue<MqttMessage> got = new LinkedBlockingQueue<>();
    MqttClient c = new MqttClient(f.uri(), "subs-ov3", new MemoryPersistence());
    c.setCallback(collectInto(got));
    MqttConnectOptions o = new MqttConnectOptions();
    o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    c.connect(o);
    c.subscribe(new String[] {"ov3/#", "ov3/+", "ov3/t"}, new int[] {0, 1, 2});
    send("ov3/t", MqttQos.EXACTLY_ONCE, "one");
    send("ov3/u", MqttQos.EXACTLY_ONCE, "two");
    // Paho 3.1.1 hands a QoS 2 message over at PUBREL, so the two may arrive in either order.
    Map<String, Integer> qosByPayload = new TreeMap<>();
    for (int i = 0; i < 2; i++) {
      MqttMessage m = got.poll(5, TimeUnit.SECONDS);
      qosByPayload.put(text(m.getPayload()), m.getQos());
    }
    assertEquals(Map.of("one", 2, "two", 1), qosByPayload);
    assertNull(got.poll(200, TimeUnit.MILLISECONDS), "one delivery per message");
    c.disconnect();
    c.close();
  }

  @Test
  void unsubscribeOfAnInvalidFilterIsTopicFilterInvalid() throws Exception {
    try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      c.connect("subs-unsub-bad");
      c.send(new Unsubscribe(7, List.of("a/#/b", "$share//x", "fine/+"), MqttProperties.empty()));
      UnsubAck ack = c.expect(UnsubAck.class);
      assertEquals(7, ack.packetId());
      assertEquals(
          List.of(
              ReasonCode.TOPIC_FILTER_INVALID,
              ReasonCode.TOPIC_FILTER_INVALID,
              ReasonCode.NO_SUBSCRIPTION_EXISTED),
          ack.reasonCodes());
    }
  }

  @Test
  void mqtt31ClientsPublishAndSubscribe() throws Exception {
    BlockingQueue<MqttMessage> got = new LinkedBlockingQueue<>();
    MqttClient c = new MqttClient(f.uri(), "subs-v31", new MemoryPersistence());
    c.setCallback(collectInto(got));
    MqttConnectOptions o = new MqttConnectOptions();
    o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1);
    c.connect(o);
    c.subscribe("v31/#", 2);
    c.publish("v31/own", "from 3.1".getBytes(StandardCharsets.UTF_8), 2, false);
    send("v31/other", MqttQos.AT_LEAST_ONCE, "from 5");
    List<String> payloads = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      MqttMessage m = got.poll(5, TimeUnit.SECONDS);
      payloads.add(text(m.getPayload()));
    }
    payloads.sort(null);
    assertEquals(List.of("from 3.1", "from 5"), payloads);
    c.disconnect();
    c.close();
  }

  @Test
  void unsubscribeReasonCodesAndNothingAfter() throws Exception {
    Mqtt5BlockingClient c = hiveConnected(f, "subs-unsub");
    BlockingQueue<Mqtt5Publish> in = inbox(c);
    c.subscribeWith().topicFilter("un/a").qos(MqttQos.AT_LEAST_ONCE).send();
    c.subscribeWith().topicFilter("un/b").qos(MqttQos.AT_LEAST_ONCE).send();
    send("un/a", MqttQos.AT_LEAST_ONCE, "before");
    assertEquals("before", text(take(in)));
    Mqtt5UnsubAck ack =
        c.unsubscribeWith().topicFilter("un/a").addTopicFilter("un/never").send();
    assertEquals(
        List.of(Mqtt5UnsubAckReasonCode.SUCCESS, Mqtt5UnsubAckReasonCode.NO_SUBSCRIPTIONS_EXISTED),
        ack.getReasonCodes());
    send("un/a", MqttQos.AT_LEAST_ONCE, "after");
    send("un/b", MqttQos.AT_LEAST_ONCE, "still subscribed");
    assertEquals("still subscribed", text(take(in)), "nothing on un/a after UNSUBACK");
    Mqtt5UnsubAck again = c.unsubscribeWith().topicFilter("un/a").send();
    assertEquals(List.of(Mqtt5UnsubAckReasonCode.NO_SUBSCRIPTIONS_EXISTED), again.getReasonCodes());
    c.disconnect();
  }

  @Test
  void wildcardMatchingThroughTheBroker() throws Exception {
    String[] filters = {"w/+/c", "w/#", "#", "+/x", "+", "$app/#", "+/+", "w/b/c"};
    String[] topics = {"w/b/c", "w", "w/b", "a/x", "$app/x", "x", "w/b/c/d", "/x"};
    Map<String, List<String>> expected = new TreeMap<>();
    expected.put("w/+/c", List.of("w/b/c"));
    expected.put("w/#", List.of("w/b/c", "w", "w/b", "w/b/c/d"));
    expected.put("#", List.of("w/b/c", "w", "w/b", "a/x", "x", "w/b/c/d", "/x"));
    expected.put("+/x", List.of("a/x", "/x"));
    expected.put("+", List.of("w", "x"));
    expected.put("$app/#", List.of("$app/x"));
    expected.put("+/+", List.of("w/b", "a/x", "/x"));
    expected.put("w/b/c", List.of("w/b/c"));
    List<Mqtt5BlockingClient> clients = new ArrayList<>();
    Map<String, BlockingQueue<Mqtt5Publish>> inboxes = new TreeMap<>();
    for (int i = 0; i < filters.length; i++) {
      Mqtt5BlockingClient c = hiveConnected(f, "subs-w" + i);
      inboxes.put(filters[i], inbox(c));
      c.subscribeWith().topicFilter(filters[i]).qos(MqttQos.AT_LEAST_ONCE).send();
      clients.add(c);
    }
    for (String t : topics) {
      send(t, MqttQos.AT_LEAST_ONCE, t);
    }
    send("end", MqttQos.AT_LEAST_ONCE, "end"); // not matched by any filter except # and +
    for (String filter : filters) {
      List<String> seen = new ArrayList<>();
      BlockingQueue<Mqtt5Publish> in = inboxes.get(filter);
      List<String> want = new ArrayList<>(expected.get(filter));
      boolean endExpected = filter.equals("#") || filter.equals("+");
      if (endExpected) {
        want.add("end");
      }
      for (int i = 0; i < want.size(); i++) {
        Mqtt5Publish m = in.poll(5, TimeUnit.SECONDS);
        assertTrue(m != null, filter + ": got only " + seen + ", want " + want);
        assertEquals(m.getTopic().toString(), text(m));
        seen.add(text(m));
      }
      assertEquals(want, seen, filter);
    }
    // Anything extra would already be queued: every publish above completed its PUBACK after
    // routing, and each inbox got its "last expected" message.
    for (String filter : filters) {
      assertNull(inboxes.get(filter).poll(50, TimeUnit.MILLISECONDS), filter + " got extra");
    }
    for (Mqtt5BlockingClient c : clients) {
      c.disconnect();
    }
  }
}

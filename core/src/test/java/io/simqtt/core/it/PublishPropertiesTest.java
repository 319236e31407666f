package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.hiveClient;
import static io.simqtt.core.it.Clients.hiveConnected;
import static io.simqtt.core.it.Clients.inbox;
import static io.simqtt.core.it.Clients.take;
import static io.simqtt.core.it.Clients.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperties;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperty;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.session.Session;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Message Expiry, pass-through properties, Maximum Packet Size and topic aliases with HiveMQ. */
class PublishPropertiesTest {

  @Test
  void messageExpiresWhileQueuedForAnOfflineSession() throws Exception {
    try (BrokerFixture f = BrokerFixture.start()) {
      Mqtt5BlockingClient sub =
          hiveClient(f, "exp-sub");
      sub.connectWith().cleanStart(true).sessionExpiryInterval(60).send();
      sub.subscribeWith().topicFilter("exp/t").qos(MqttQos.AT_LEAST_ONCE).send();
      sub.disconnect();
      await("session offline", () -> {
        Session s = f.broker().sessions().get("exp-sub");
        return s != null && !s.isConnected();
      });
      Mqtt5BlockingClient pub = hiveConnected(f, "exp-pub");
      long expiredBefore = f.broker().metrics().drops(DropReason.EXPIRED);
      pub.publishWith().topic("exp/t").qos(MqttQos.AT_LEAST_ONCE).messageExpiryInterval(1)
          .payload(bytes("short")).send();
      long sentAt = System.nanoTime();
      pub.publishWith().topic("exp/t").qos(MqttQos.AT_LEAST_ONCE).messageExpiryInterval(60)
          .payload(bytes("long")).send();
      pub.publishWith().topic("exp/t").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("none")).send();
      // Expiry is in whole seconds: only time passing can make "short" expire.
      long waitMs = 1150 - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentAt);
      if (waitMs > 0) {
        Thread.sleep(waitMs);
      }

      Mqtt5BlockingClient back =
          hiveClient(f, "exp-sub");
      BlockingQueue<Mqtt5Publish> in = new LinkedBlockingQueue<>();
      back.toAsync().publishes(MqttGlobalPublishFilter.ALL, in::add);
      assertTrue(back.connectWith().cleanStart(false).send().isSessionPresent());
      Mqtt5Publish first = take(in);
      assertEquals("long", text(first), "the expired message must not be delivered");
      long left = first.getMessageExpiryInterval().orElseThrow();
      assertTrue(left < 60 && left >= 57, "remaining expiry " + left);
      Mqtt5Publish second = take(in);
      assertEquals("none", text(second));
      assertFalse(second.getMessageExpiryInterval().isPresent());
      pub.publishWith().topic("exp/t").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("marker")).send();
      assertEquals("marker", text(take(in)));
      assertEquals(expiredBefore + 1, f.broker().metrics().drops(DropReason.EXPIRED));
      pub.disconnect();
      back.disconnect();
    }
  }

  @Test
  void propertiesPassThroughUntouched() throws Exception {
    try (BrokerFixture f = BrokerFixture.start()) {
      Mqtt5BlockingClient sub = hiveConnected(f, "props-sub");
      BlockingQueue<Mqtt5Publish> in = inbox(sub);
      sub.subscribeWith().topicFilter("props/#").qos(MqttQos.EXACTLY_ONCE).send();
      Mqtt5BlockingClient pub = hiveConnected(f, "props-pub");
      Mqtt5UserProperties user =
          Mqtt5UserProperties.of(
              Mqtt5UserProperty.of("k", "1"),
              Mqtt5UserProperty.of("a", "2"),
              Mqtt5UserProperty.of("k", "3"),
              Mqtt5UserProperty.of("k", "1"));
      byte[] correlation = {0, 1, 2, (byte) 0xFF};
      for (int qos = 0; qos < 3; qos++) {
        pub.publishWith()
            .topic("props/t")
            .qos(MqttQos.fromCode(qos))
            .retain(qos == 2)
            .payload(bytes("héllo"))
            .userProperties(user)
            .contentType("text/plain; charset=utf-8")
            .responseTopic("props/reply")
            .correlationData(correlation)
            .payloadFormatIndicator(Mqtt5PayloadFormatIndicator.UTF_8)
            .messageExpiryInterval(3600)
            .send();
        assertProperties(take(in), user, correlation, "live qos " + qos);
      }
      // The retained copy keeps them too.
      Mqtt5BlockingClient late = hiveConnected(f, "props-late");
      BlockingQueue<Mqtt5Publish> lateIn = inbox(late);
      late.subscribeWith().topicFilter("props/t").qos(MqttQos.AT_LEAST_ONCE).send();
      Mqtt5Publish retained = take(lateIn);
      assertTrue(retained.isRetain());
      assertProperties(retained, user, correlation, "retained");
      pub.publishWith().topic("props/t").retain(true).send();
      late.disconnect();
      pub.disconnect();
      sub.disconnect();
    }
  }

  private static void assertProperties(
      Mqtt5Publish m, Mqtt5UserProperties user, byte[] correlation, String what) {
    assertEquals("héllo", text(m), what);
    assertEquals(user.asList(), m.getUserProperties().asList(), what + ": user properties in order");
    assertEquals("text/plain; charset=utf-8", m.getContentType().orElseThrow().toString(), what);
    assertEquals("props/reply", m.getResponseTopic().orElseThrow().toString(), what);
    ByteBuffer cd = m.getCorrelationData().orElseThrow();
    byte[] got = new byte[cd.remaining()];
    cd.duplicate().get(got);
    assertArrayEquals(correlation, got, what);
    assertEquals(Mqtt5PayloadFormatIndicator.UTF_8, m.getPayloadFormatIndicator().orElseThrow(), what);
    long left = m.getMessageExpiryInterval().orElseThrow();
    assertTrue(left <= 3600 && left > 3590, what + ": expiry " + left);
  }

  @Test
  void subscriberMaximumPacketSizeDropsOnlyForThatSubscriber() throws Exception {
    try (BrokerFixture f = BrokerFixture.start()) {
      Mqtt5BlockingClient small =
          hiveConnected(f, "mps-small", b -> b);
      small.disconnect();
      small.connectWith().restrictions().maximumPacketSize(256).applyRestrictions().send();
      BlockingQueue<Mqtt5Publish> smallIn = inbox(small);
      small.subscribeWith().topicFilter("mps/#").qos(MqttQos.AT_LEAST_ONCE).send();
      Mqtt5BlockingClient big = hiveConnected(f, "mps-big");
      BlockingQueue<Mqtt5Publish> bigIn = inbox(big);
      big.subscribeWith().topicFilter("mps/#").qos(MqttQos.AT_LEAST_ONCE).send();
      Mqtt5BlockingClient pub = hiveConnected(f, "mps-pub");
      long before = f.broker().metrics().drops(DropReason.TOO_LARGE);
      for (int qos = 0; qos < 3; qos++) {
        pub.publishWith().topic("mps/big").qos(MqttQos.fromCode(qos))
            .payload(bytes("x".repeat(1000))).send();
      }
      pub.publishWith().topic("mps/small").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("tiny")).send();
      for (int qos = 0; qos < 3; qos++) {
        assertEquals(1000, take(bigIn).getPayloadAsBytes().length);
      }
      assertEquals("tiny", text(take(bigIn)));
      assertEquals("tiny", text(take(smallIn)), "the large messages are skipped, not the small");
      assertEquals(before + 3, f.broker().metrics().drops(DropReason.TOO_LARGE));
      // The skipped QoS 1/2 messages do not hold slots of the in-flight window.
      for (int i = 0; i < 5; i++) {
        pub.publishWith().topic("mps/small").qos(MqttQos.EXACTLY_ONCE)
            .payload(bytes("s" + i)).send();
        assertEquals("s" + i, text(take(smallIn)));
      }
      pub.disconnect();
      big.disconnect();
      small.disconnect();
    }
  }

  @Test
  void clientTopicAliasesArriveWithTheFullTopic() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.limits.topic-alias-maximum = 2")) {
      Mqtt5BlockingClient sub = hiveConnected(f, "ta-sub");
      BlockingQueue<Mqtt5Publish> in = inbox(sub);
      sub.subscribeWith().topicFilter("ta/#").send();
      Mqtt5BlockingClient pub = hiveConnected(f, "ta-pub");
      assertEquals(
          2, pub.getConfig().getConnectionConfig().orElseThrow()
              .getRestrictionsForClient().getSendTopicAliasMaximum());
      List<String> topics = List.of("ta/one", "ta/two", "ta/three");
      for (int round = 0; round < 4; round++) {
        for (String t : topics) {
          pub.publishWith().topic(t).qos(MqttQos.AT_LEAST_ONCE).payload(bytes(t)).send();
        }
      }
      for (int i = 0; i < 12; i++) {
        Mqtt5Publish m = take(in);
        assertEquals(topics.get(i % 3), m.getTopic().toString());
        assertEquals(topics.get(i % 3), text(m));
      }
      pub.disconnect();
      sub.disconnect();
    }
  }

  @Test
  void outboundAliasesResolvedByHiveMq() throws Exception {
    try (BrokerFixture f =
        BrokerFixture.start("mqtt.features.outbound-topic-alias-maximum = 2")) {
      Mqtt5BlockingClient sub =
          hiveClient(f, "ota-sub");
      sub.connectWith().restrictions().topicAliasMaximum(10).applyRestrictions().send();
      BlockingQueue<Mqtt5Publish> in = inbox(sub);
      sub.subscribeWith().topicFilter("ota/#").qos(MqttQos.AT_LEAST_ONCE).send();
      Mqtt5BlockingClient pub = hiveConnected(f, "ota-pub");
      List<String> topics = List.of("ota/a", "ota/b", "ota/c", "ota/d");
      for (int round = 0; round < 3; round++) {
        for (String t : topics) {
          pub.publishWith().topic(t).qos(MqttQos.AT_LEAST_ONCE).payload(bytes(t)).send();
        }
      }
      for (int i = 0; i < 12; i++) {
        Mqtt5Publish m = take(in);
        assertEquals(topics.get(i % 4), m.getTopic().toString(), "message " + i);
        assertEquals(topics.get(i % 4), text(m));
      }
      pub.disconnect();
      sub.disconnect();
    }
  }
}

package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.hiveClient;
import static io.simqtt.core.it.Clients.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttPacket.UnsubAck;
import io.simqtt.core.codec.MqttPacket.Unsubscribe;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A session whose subscriptions, queue or in-flight window ran empty works as before when they
 * fill again (the broker drops such state while it is empty, to keep idle sessions small).
 */
class EmptiedSessionStateTest {
  private static final Duration QUIET = Duration.ofMillis(300);

  private static BrokerFixture f;
  private static Mqtt5BlockingClient pub;

  @BeforeAll
  static void start() {
    f = BrokerFixture.start();
    pub = hiveClient(f, "empty-pub");
    pub.connect();
  }

  @AfterAll
  static void stop() {
    pub.disconnect();
    f.close();
  }

  private static void send(String topic, String payload) {
    pub.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(bytes(payload)).send();
  }

  private static int unsubscribe(RawClient c, int packetId, String filter) {
    c.send(new Unsubscribe(packetId, List.of(filter), MqttProperties.empty()));
    UnsubAck ack = c.expect(UnsubAck.class, RawClient.WAIT);
    assertEquals(packetId, ack.packetId());
    return ack.reasonCodes().get(0);
  }

  @Test
  void resubscribingAfterUnsubscribingEverythingDeliversAgain() throws Exception {
    try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      c.connect("empty-subs", true, 60, RawClient.sessionExpiry(60));
      c.subscribe("es/a", 1);
      c.subscribe("es/b", 1);
      send("es/a", "a1");
      Publish a1 = c.expect(Publish.class, RawClient.WAIT);
      assertEquals("a1", text(a1.payload()));
      c.puback(a1.packetId());

      assertEquals(ReasonCode.SUCCESS, unsubscribe(c, 100, "es/a"));
      assertEquals(ReasonCode.SUCCESS, unsubscribe(c, 101, "es/b"));
      assertEquals(ReasonCode.NO_SUBSCRIPTION_EXISTED, unsubscribe(c, 102, "es/b"));
      send("es/a", "unsubscribed");
      send("es/b", "unsubscribed");
      assertNull(c.read(QUIET), "no subscription left");

      c.subscribe("es/b", 1);
      send("es/a", "still-unsubscribed");
      send("es/b", "b1");
      Publish b1 = c.expect(Publish.class, RawClient.WAIT);
      assertEquals("b1", text(b1.payload()));
      c.puback(b1.packetId());
      assertNull(c.read(QUIET));
    }
    // The re-made subscription is part of the kept session.
    try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      assertTrue(c.connect("empty-subs", false, 60, RawClient.sessionExpiry(60)).sessionPresent());
      send("es/b", "b2");
      Publish b2 = c.expect(Publish.class, RawClient.WAIT);
      assertEquals("b2", text(b2.payload()));
      c.puback(b2.packetId());
      assertEquals(ReasonCode.SUCCESS, unsubscribe(c, 103, "es/b"));
    }
  }

  /** Receive Maximum 1: every burst fills the queue and the window, and drains both empty. */
  @Test
  void queueAndWindowFillAgainAfterDrainingEmpty() throws Exception {
    try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      MqttProperties p = MqttProperties.empty();
      p.receiveMaximum = 1;
      c.connect("empty-window", true, 60, p);
      c.subscribe("ew/t", 1);
      for (int burst = 1; burst <= 3; burst++) {
        for (int i = 1; i <= 3; i++) {
          send("ew/t", burst + "-" + i);
        }
        List<String> got = new ArrayList<>();
        int lastId = -1;
        for (int i = 1; i <= 3; i++) {
          Publish m = c.expect(Publish.class, RawClient.WAIT);
          assertFalse(m.dup());
          assertNotEquals(lastId, m.packetId(), "a fresh packet id per message");
          lastId = m.packetId();
          got.add(text(m.payload()));
          assertNull(c.read(QUIET), "Receive Maximum 1: one unacknowledged PUBLISH at a time");
          c.puback(m.packetId());
        }
        assertEquals(List.of(burst + "-1", burst + "-2", burst + "-3"), got);
        assertNull(c.read(QUIET), "burst " + burst + " fully delivered, nothing more");
      }
    }
  }

  /**
   * An offline queue drained by a resume fills again at the next disconnect; a resend finished
   * after a resume leaves the window free for new messages.
   */
  @Test
  void offlineQueueAndResendsWorkAgainAfterAResume() throws Exception {
    try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      c.connect("empty-offline", true, 60, RawClient.sessionExpiry(60));
      c.subscribe("eo2/t", 1);
    }
    for (int round = 1; round <= 2; round++) {
      send("eo2/t", round + "-a");
      send("eo2/t", round + "-b");
      try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertTrue(c.connect("empty-offline", false, 60, RawClient.sessionExpiry(60)).sessionPresent());
        Publish a = c.expect(Publish.class, RawClient.WAIT);
        Publish b = c.expect(Publish.class, RawClient.WAIT);
        assertEquals(List.of(round + "-a", round + "-b"), List.of(text(a.payload()), text(b.payload())));
        c.puback(a.packetId());
        // b stays unacknowledged: the next resume resends it, then the next round's messages.
        assertNull(c.read(QUIET));
      }
      try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertTrue(c.connect("empty-offline", false, 60, RawClient.sessionExpiry(60)).sessionPresent());
        Publish again = c.expect(Publish.class, RawClient.WAIT);
        assertEquals(round + "-b", text(again.payload()));
        assertTrue(again.dup(), "resent after the resume");
        c.puback(again.packetId());
        assertNull(c.read(QUIET), "nothing else was owed");
        send("eo2/t", round + "-online");
        Publish online = c.expect(Publish.class, RawClient.WAIT);
        assertEquals(round + "-online", text(online.payload()));
        assertFalse(online.dup());
        c.puback(online.packetId());
        assertNull(c.read(QUIET));
      }
    }
  }
}

package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.drain;
import static io.simqtt.core.it.Clients.hiveClient;
import static io.simqtt.core.it.Clients.receive;
import static io.simqtt.core.it.Clients.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.Disconnect;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;

/** Session Present, what a resumed session keeps, and when a session ends. */
class SessionPresenceTest {
  private static final Duration QUIET = Duration.ofMillis(300);

  @Test
  void cleanStartNeverFindsASession() {
    try (BrokerFixture f = BrokerFixture.start()) {
      Mqtt5BlockingClient c = hiveClient(f, "clean");
      assertFalse(c.connectWith().cleanStart(true).sessionExpiryInterval(60).send().isSessionPresent());
      c.disconnect();
      // A session exists now (expiry 60), but clean start discards it.
      assertNotNull(f.broker().sessions().get("clean"));
      Mqtt5BlockingClient again = hiveClient(f, "clean");
      assertFalse(
          again.connectWith().cleanStart(true).sessionExpiryInterval(60).send().isSessionPresent());
      again.disconnect();
    }
  }

  @Test
  void resumedSessionKeepsSubscriptionsAndOfflineQos1And2Messages() throws Exception {
    try (BrokerFixture f = BrokerFixture.start()) {
      Mqtt5BlockingClient sub = hiveClient(f, "resumer");
      assertFalse(sub.connectWith().cleanStart(true).sessionExpiryInterval(60).send().isSessionPresent());
      sub.subscribeWith().topicFilter("off/#").qos(MqttQos.EXACTLY_ONCE).send();
      sub.disconnect();

      Mqtt5BlockingClient pub = hiveClient(f, "pub");
      pub.connect();
      for (int q = 0; q < 3; q++) {
        pub.publishWith().topic("off/" + q).qos(MqttQos.fromCode(q)).payload(bytes("m" + q)).send();
      }

      Mqtt5BlockingClient back = hiveClient(f, "resumer");
      try (var publishes = back.publishes(MqttGlobalPublishFilter.ALL)) {
        assertTrue(
            back.connectWith().cleanStart(false).sessionExpiryInterval(60).send().isSessionPresent());
        Mqtt5Publish m1 = receive(publishes, RawClient.WAIT);
        Mqtt5Publish m2 = receive(publishes, RawClient.WAIT);
        assertEquals("m1", text(m1));
        assertEquals(MqttQos.AT_LEAST_ONCE, m1.getQos());
        assertEquals("m2", text(m2));
        assertEquals(MqttQos.EXACTLY_ONCE, m2.getQos());
        assertEquals(List.of(), drain(publishes, QUIET), "QoS 0 is not kept for offline sessions");

        // The subscription survived without a new SUBSCRIBE.
        pub.publishWith().topic("off/live").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("live")).send();
        assertEquals("live", text(receive(publishes, RawClient.WAIT)));
      }
      back.disconnect();
      pub.disconnect();
    }
  }

  @Test
  void v311PersistentSessionIsPresentAndGetsOfflineMessages() throws Exception {
    try (BrokerFixture f = BrokerFixture.start()) {
      MqttConnectOptions persistent = new MqttConnectOptions();
      persistent.setCleanSession(false);
      MqttClient first = new MqttClient(f.uri(), "paho-persist", new MemoryPersistence());
      IMqttToken t1 = first.connectWithResult(persistent);
      assertFalse(t1.getSessionPresent());
      first.subscribe("p311/t", 1);
      first.disconnect();
      first.close();

      Mqtt5BlockingClient pub = hiveClient(f, "pub311");
      pub.connect();
      pub.publishWith().topic("p311/t").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("while-away")).send();

      BlockingQueue<String> got = new ArrayBlockingQueue<>(10);
      MqttClient second = new MqttClient(f.uri(), "paho-persist", new MemoryPersistence());
      second.setCallback(
          new org.eclipse.paho.client.mqttv3.MqttCallback() {
            @Override
            public void connectionLost(Throwable cause) {}

            @Override
            public void messageArrived(String topic, org.eclipse.paho.client.mqttv3.MqttMessage m) {
              got.add(text(m.getPayload()));
            }

            @Override
            public void deliveryComplete(org.eclipse.paho.client.mqttv3.IMqttDeliveryToken token) {}
          });
      IMqttToken t2 = second.connectWithResult(persistent);
      assertTrue(t2.getSessionPresent());
      assertEquals("while-away", got.poll(5, TimeUnit.SECONDS));
      second.disconnect();
      second.close();

      // Clean session ends it: the next persistent connect finds nothing.
      MqttConnectOptions clean = new MqttConnectOptions();
      clean.setCleanSession(true);
      MqttClient third = new MqttClient(f.uri(), "paho-persist", new MemoryPersistence());
      assertFalse(third.connectWithResult(clean).getSessionPresent());
      third.disconnect();
      third.close();
      MqttClient fourth = new MqttClient(f.uri(), "paho-persist", new MemoryPersistence());
      assertFalse(fourth.connectWithResult(persistent).getSessionPresent());
      fourth.disconnect();
      fourth.close();
      pub.disconnect();
    }
  }

  @Test
  void expiryZeroEndsTheSessionWithTheConnection() throws Exception {
    try (BrokerFixture f = BrokerFixture.start()) {
      Mqtt5BlockingClient c = hiveClient(f, "ephemeral");
      c.connectWith().cleanStart(true).sessionExpiryInterval(0).send();
      c.subscribeWith().topicFilter("eph/t").qos(MqttQos.AT_LEAST_ONCE).send();
      c.disconnect();
      await(Duration.ofSeconds(3), () -> f.broker().sessions().get("ephemeral") == null, "session end");

      Mqtt5BlockingClient pub = hiveClient(f, "pub0");
      pub.connect();
      pub.publishWith().topic("eph/t").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("lost")).send();

      Mqtt5BlockingClient back = hiveClient(f, "ephemeral");
      try (var publishes = back.publishes(MqttGlobalPublishFilter.ALL)) {
        assertFalse(
            back.connectWith().cleanStart(false).sessionExpiryInterval(60).send().isSessionPresent());
        pub.publishWith().topic("eph/t").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("later")).send();
        assertEquals(List.of(), drain(publishes, QUIET), "no message, no subscription left");
      }
      back.disconnect();
      pub.disconnect();
    }
  }

  @Test
  void shortExpiryEndsTheSessionAfterItPasses() {
    try (BrokerFixture f = BrokerFixture.start()) {
      Mqtt5BlockingClient c = hiveClient(f, "short");
      c.connectWith().cleanStart(true).sessionExpiryInterval(1).send();
      c.subscribeWith().topicFilter("short/t").send();
      long disconnectedAt = System.nanoTime();
      c.disconnect();
      assertNotNull(f.broker().sessions().get("short"), "kept while the expiry runs");
      await(Duration.ofSeconds(4), () -> f.broker().sessions().get("short") == null, "expiry");
      long millis = (System.nanoTime() - disconnectedAt) / 1_000_000;
      assertTrue(millis >= 900, "ended after " + millis + " ms, expiry was 1 s");

      Mqtt5BlockingClient back = hiveClient(f, "short");
      assertFalse(
          back.connectWith().cleanStart(false).sessionExpiryInterval(1).send().isSessionPresent());
      back.disconnect();
    }
  }

  @Test
  void shortExpiryStillResumesInsideTheInterval() {
    try (BrokerFixture f = BrokerFixture.start()) {
      Mqtt5BlockingClient c = hiveClient(f, "short2");
      c.connectWith().cleanStart(true).sessionExpiryInterval(2).send();
      c.disconnect();
      Mqtt5BlockingClient back = hiveClient(f, "short2");
      assertTrue(
          back.connectWith().cleanStart(false).sessionExpiryInterval(2).send().isSessionPresent());
      back.disconnect();
    }
  }

  @Test
  void disconnectCanShortenTheSessionExpiry() {
    try (BrokerFixture f = BrokerFixture.start()) {
      Mqtt5BlockingClient c = hiveClient(f, "shorten");
      c.connectWith().cleanStart(true).sessionExpiryInterval(300).send();
      c.disconnectWith().sessionExpiryInterval(0).send();
      await(Duration.ofSeconds(3), () -> f.broker().sessions().get("shorten") == null, "end at 0");
      Mqtt5BlockingClient back = hiveClient(f, "shorten");
      assertFalse(
          back.connectWith().cleanStart(false).sessionExpiryInterval(300).send().isSessionPresent());
      back.disconnectWith().sessionExpiryInterval(1).send();
      assertNotNull(f.broker().sessions().get("shorten"));
      await(Duration.ofSeconds(4), () -> f.broker().sessions().get("shorten") == null, "end at 1 s");
    }
  }

  @Test
  void disconnectCanLengthenANonZeroExpiry() throws Exception {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient raw = RawClient.open(f, MqttVersion.MQTT_5)) {
      raw.connect("lengthen", true, 30, RawClient.sessionExpiry(1));
      raw.disconnect(ReasonCode.NORMAL_DISCONNECTION, RawClient.sessionExpiry(60));
      assertTrue(raw.closedWithin(Duration.ofSeconds(3)));
      // Well past the original 1 s the session is still there.
      Thread.sleep(1500);
      assertNotNull(f.broker().sessions().get("lengthen"));
      try (RawClient back = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertTrue(back.connect("lengthen", false, 30, RawClient.sessionExpiry(0)).sessionPresent());
      }
    }
  }

  /**
   * The Protocol Error is about the CONNECT's own Session Expiry Interval being 0 (spec 3.14.2.2.2):
   * a client that asked for 60 and was capped to 0 by the server may send a non-zero value.
   */
  @Test
  void disconnectExpiryAfterServerCapToZeroIsNotAProtocolError() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.sessions.max-session-expiry = 0")) {
      Mqtt5BlockingClient watcher = hiveClient(f, "watcher");
      watcher.connect();
      try (var publishes = watcher.publishes(MqttGlobalPublishFilter.ALL);
          RawClient raw = RawClient.open(f, MqttVersion.MQTT_5)) {
        watcher.subscribeWith().topicFilter("will/capped").qos(MqttQos.AT_LEAST_ONCE).send();
        MqttPacket.ConnAck ack =
            raw.connect(
                RawClient.withWill(
                    RawClient.connectPacket(
                        MqttVersion.MQTT_5, "capped", true, 30, RawClient.sessionExpiry(60)),
                    new MqttPacket.Will("will/capped", bytes("must-not-be-sent"), 1, false,
                        io.simqtt.core.codec.MqttProperties.empty())));
        assertEquals(0L, ack.properties().sessionExpiryInterval);
        raw.disconnect(ReasonCode.NORMAL_DISCONNECTION, RawClient.sessionExpiry(60));
        assertTrue(raw.closedWithin(Duration.ofSeconds(3)));
        assertEquals(List.of(), raw.pending(), "no DISCONNECT 0x82 for a valid DISCONNECT");
        assertEquals(List.of(), drain(publishes, QUIET), "normal DISCONNECT: no will");
        // The cap still holds: the session ends with the connection.
        await(Duration.ofSeconds(3), () -> f.broker().sessions().get("capped") == null, "end");
      }
      watcher.disconnect();
    }
  }

  @Test
  void disconnectSettingExpiryAfterZeroIsAProtocolError() throws Exception {
    try (BrokerFixture f = BrokerFixture.start()) {
      Mqtt5BlockingClient watcher = hiveClient(f, "watcher");
      watcher.connect();
      try (var publishes = watcher.publishes(MqttGlobalPublishFilter.ALL);
          RawClient raw = RawClient.open(f, MqttVersion.MQTT_5)) {
        watcher.subscribeWith().topicFilter("will/zero").qos(MqttQos.AT_LEAST_ONCE).send();
        raw.connect(
            RawClient.withWill(
                RawClient.connectPacket(MqttVersion.MQTT_5, "zero", true, 30, null),
                new MqttPacket.Will("will/zero", bytes("bad-disconnect"), 1, false,
                    io.simqtt.core.codec.MqttProperties.empty())));
        raw.disconnect(ReasonCode.NORMAL_DISCONNECTION, RawClient.sessionExpiry(30));
        Disconnect d = raw.expect(Disconnect.class, RawClient.WAIT);
        assertEquals(ReasonCode.PROTOCOL_ERROR, d.reasonCode());
        assertTrue(raw.closedWithin(Duration.ofSeconds(3)));
        // The connection ended in error, not by a normal DISCONNECT: the will goes out.
        assertEquals("bad-disconnect", text(receive(publishes, RawClient.WAIT)));
        await(Duration.ofSeconds(3), () -> f.broker().sessions().get("zero") == null, "session end");
      }
      watcher.disconnect();
    }
  }
}

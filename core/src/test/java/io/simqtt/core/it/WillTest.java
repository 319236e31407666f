package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.drain;
import static io.simqtt.core.it.Clients.hiveClient;
import static io.simqtt.core.it.Clients.receive;
import static io.simqtt.core.it.Clients.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperty;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** When a will is published, when it is not, and what reaches its subscriber. */
class WillTest {
  private static final Duration QUIET = Duration.ofMillis(500);

  private BrokerFixture f;
  private Mqtt5BlockingClient watcher;
  private Mqtt5BlockingClient.Mqtt5Publishes wills;

  @BeforeEach
  void start() {
    f = BrokerFixture.start();
    watcher = hiveClient(f, "watcher");
    watcher.connect();
    wills = watcher.publishes(MqttGlobalPublishFilter.ALL);
    watcher.subscribeWith().topicFilter("will/#").qos(MqttQos.EXACTLY_ONCE).send();
  }

  @AfterEach
  void stop() {
    wills.close();
    f.close();
  }

  private static Connect rawConnect(
      MqttVersion v, String id, boolean cleanStart, int keepAlive, MqttProperties p,
      String willTopic, String willPayload, MqttProperties willProps) {
    return RawClient.withWill(
        RawClient.connectPacket(v, id, cleanStart, keepAlive, p),
        new MqttPacket.Will(
            willTopic, bytes(willPayload), 1, false,
            willProps == null ? MqttProperties.empty() : willProps));
  }

  private static MqttProperties willDelay(long seconds) {
    MqttProperties p = MqttProperties.empty();
    p.willDelayInterval = seconds;
    return p;
  }

  private Mqtt5Publish nextWill(Duration timeout) throws InterruptedException {
    return receive(wills, timeout);
  }

  private void assertNoWill() throws InterruptedException {
    assertEquals(List.of(), drain(wills, QUIET), "no will expected");
  }

  @Test
  void sentWhenTheSocketClosesWithoutDisconnect() throws Exception {
    for (MqttVersion v : List.of(MqttVersion.MQTT_5, MqttVersion.MQTT_3_1_1)) {
      try (RawClient raw = RawClient.open(f, v)) {
        raw.connect(rawConnect(v, "abrupt-" + v, true, 30, null, "will/abrupt", "gone-" + v, null));
      }
      Mqtt5Publish w = nextWill(RawClient.WAIT);
      assertEquals("will/abrupt", w.getTopic().toString());
      assertEquals("gone-" + v, text(w));
      assertEquals(MqttQos.AT_LEAST_ONCE, w.getQos());
    }
  }

  @Test
  void sentAfterKeepAliveTimeout() throws Exception {
    try (RawClient raw = RawClient.open(f, MqttVersion.MQTT_5)) {
      raw.connect(rawConnect(MqttVersion.MQTT_5, "ka-will", true, 1, null, "will/ka", "timeout", null));
      assertEquals("timeout", text(nextWill(Duration.ofSeconds(4))));
      assertTrue(raw.closedWithin(Duration.ofSeconds(1)));
    }
  }

  @Test
  void sentAfterDisconnectWithWillMessage() throws Exception {
    Mqtt5BlockingClient c = hiveClient(f, "dw");
    c.connectWith()
        .willPublish().topic("will/dw").payload(bytes("asked")).qos(MqttQos.AT_LEAST_ONCE).applyWillPublish()
        .send();
    c.disconnectWith().reasonCode(Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE).send();
    assertEquals("asked", text(nextWill(RawClient.WAIT)));
  }

  @Test
  void notSentAfterNormalDisconnect() throws Exception {
    Mqtt5BlockingClient c = hiveClient(f, "normal5");
    c.connectWith()
        .willPublish().topic("will/normal").payload(bytes("v5")).applyWillPublish()
        .send();
    c.disconnect();

    try (RawClient raw = RawClient.open(f, MqttVersion.MQTT_5)) {
      raw.connect(rawConnect(MqttVersion.MQTT_5, "normalraw", true, 30, null, "will/normal", "raw", null));
      raw.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
      assertTrue(raw.closedWithin(Duration.ofSeconds(3)));
    }

    MqttClient paho = new MqttClient(f.uri(), "normal311", new MemoryPersistence());
    MqttConnectOptions o = new MqttConnectOptions();
    o.setWill("will/normal", bytes("v311"), 1, false);
    paho.connect(o);
    paho.disconnect();
    paho.close();

    assertNoWill();
  }

  @Test
  void willQosRetainAndPropertiesReachTheSubscriber() throws Exception {
    Mqtt5BlockingClient c = hiveClient(f, "props");
    c.connectWith()
        .willPublish()
        .topic("will/props")
        .payload(bytes("{\"state\":\"offline\"}"))
        .qos(MqttQos.EXACTLY_ONCE)
        .retain(true)
        .contentType("application/json")
        .payloadFormatIndicator(Mqtt5PayloadFormatIndicator.UTF_8)
        .responseTopic("reply/here")
        .correlationData(bytes("corr-42"))
        .messageExpiryInterval(120)
        .userProperties()
        .add("k1", "v1")
        .add("k2", "v2")
        .applyUserProperties()
        .applyWillPublish()
        .send();
    c.disconnectWith().reasonCode(Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE).send();

    Mqtt5Publish w = nextWill(RawClient.WAIT);
    assertEquals("{\"state\":\"offline\"}", text(w));
    assertEquals(MqttQos.EXACTLY_ONCE, w.getQos());
    // Delivered to an existing subscription: retain is cleared (no Retain As Published).
    assertFalse(w.isRetain());
    assertEquals("application/json", w.getContentType().map(Object::toString).orElse(null));
    assertEquals(Mqtt5PayloadFormatIndicator.UTF_8, w.getPayloadFormatIndicator().orElse(null));
    assertEquals("reply/here", w.getResponseTopic().map(Object::toString).orElse(null));
    ByteBuffer corr = w.getCorrelationData().orElseThrow();
    byte[] corrBytes = new byte[corr.remaining()];
    corr.get(corrBytes);
    assertArrayEquals(bytes("corr-42"), corrBytes);
    long expiry = w.getMessageExpiryInterval().orElse(-1);
    assertTrue(expiry > 100 && expiry <= 120, "message expiry passed on: " + expiry);
    List<String> props =
        w.getUserProperties().asList().stream()
            .map((Mqtt5UserProperty u) -> u.getName() + "=" + u.getValue())
            .toList();
    assertEquals(List.of("k1=v1", "k2=v2"), props);

    // Retained: a later subscriber gets it with the retain flag.
    Mqtt5BlockingClient late = hiveClient(f, "late");
    late.connect();
    try (var latePubs = late.publishes(MqttGlobalPublishFilter.ALL)) {
      late.subscribeWith().topicFilter("will/props").qos(MqttQos.EXACTLY_ONCE).send();
      Mqtt5Publish r = receive(latePubs, RawClient.WAIT);
      assertTrue(r.isRetain());
      assertEquals("{\"state\":\"offline\"}", text(r));
      assertEquals("application/json", r.getContentType().map(Object::toString).orElse(null));
    }
    late.disconnect();
  }

  @Test
  void willDelayHoldsTheWillBack() throws Exception {
    try (RawClient raw = RawClient.open(f, MqttVersion.MQTT_5)) {
      raw.connect(
          rawConnect(MqttVersion.MQTT_5, "delayed", true, 30, RawClient.sessionExpiry(60),
              "will/delayed", "late", willDelay(1)));
    }
    long closed = System.nanoTime();
    Mqtt5Publish w = nextWill(Duration.ofSeconds(4));
    long elapsed = (System.nanoTime() - closed) / 1_000_000;
    assertEquals("late", text(w));
    assertTrue(elapsed >= 800, "will after " + elapsed + " ms, delay was 1 s");
  }

  @Test
  void reconnectInsideTheWillDelayCancelsTheWill() throws Exception {
    try (RawClient raw = RawClient.open(f, MqttVersion.MQTT_5)) {
      raw.connect(
          rawConnect(MqttVersion.MQTT_5, "comeback", true, 30, RawClient.sessionExpiry(60),
              "will/comeback", "should-not-see", willDelay(1)));
    }
    try (RawClient again = RawClient.open(f, MqttVersion.MQTT_5)) {
      assertTrue(again.connect("comeback", false, 30, RawClient.sessionExpiry(60)).sessionPresent());
      // Past the 1 s delay: nothing.
      assertEquals(List.of(), drain(wills, Duration.ofMillis(1500)));
      again.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
    }
  }

  @Test
  void sessionEndingBeforeTheWillDelaySendsTheWillThen() throws Exception {
    try (RawClient raw = RawClient.open(f, MqttVersion.MQTT_5)) {
      raw.connect(
          rawConnect(MqttVersion.MQTT_5, "short-session", true, 30, RawClient.sessionExpiry(1),
              "will/short", "session-over", willDelay(60)));
    }
    assertEquals("session-over", text(nextWill(Duration.ofSeconds(4))));

    // Expiry 0: the session ends with the connection, so the will goes out at once.
    try (RawClient raw = RawClient.open(f, MqttVersion.MQTT_5)) {
      raw.connect(
          rawConnect(MqttVersion.MQTT_5, "no-session", true, 30, null,
              "will/short", "immediate", willDelay(60)));
    }
    assertEquals("immediate", text(nextWill(Duration.ofSeconds(2))));
  }

  @Test
  void takeoverWithoutCleanStartCancelsTheOldWill() throws Exception {
    try (RawClient first = RawClient.open(f, MqttVersion.MQTT_5);
        RawClient second = RawClient.open(f, MqttVersion.MQTT_5)) {
      first.connect(
          rawConnect(MqttVersion.MQTT_5, "tk-keep", true, 30, RawClient.sessionExpiry(60),
              "will/tk", "old-will", null));
      second.connect("tk-keep", false, 30, RawClient.sessionExpiry(60));
      assertTrue(first.closedWithin(Duration.ofSeconds(3)));
      assertNoWill();
    }
  }

  @Test
  void takeoverWithCleanStartPublishesTheOldWill() throws Exception {
    try (RawClient first = RawClient.open(f, MqttVersion.MQTT_5);
        RawClient second = RawClient.open(f, MqttVersion.MQTT_5)) {
      first.connect(
          rawConnect(MqttVersion.MQTT_5, "tk-clean", true, 30, RawClient.sessionExpiry(60),
              "will/tk", "old-will", willDelay(30)));
      second.connect("tk-clean", true, 30, RawClient.sessionExpiry(60));
      assertEquals("old-will", text(nextWill(RawClient.WAIT)));
      assertNoWill();
    }
  }
}

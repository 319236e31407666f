package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.hiveConnected;
import static io.simqtt.core.it.Clients.inbox;
import static io.simqtt.core.it.Clients.take;
import static io.simqtt.core.it.Clients.text;
import static io.simqtt.core.it.PahoClients.collectInto;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5RetainHandling;
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
 * Retained messages: set, replace, clear, RETAIN on subscribe, Retain Handling, Retain As
 * Published, expiry, shared subscriptions. "Nothing arrived" is proven without sleeping: a live
 * marker is published after the SUBACK, and it must be the next message (retained messages go
 * out right after the SUBACK, before anything published later).
 */
class RetainedMessagesTest {
  private static BrokerFixture f;
  private static Mqtt5BlockingClient pub;

  @BeforeAll
  static void start() {
    f = BrokerFixture.start();
    pub = hiveConnected(f, "ret-pub");
  }

  @AfterAll
  static void stop() {
    pub.disconnect();
    f.close();
  }

  private static void retain(String topic, String payload) {
    pub.publishWith()
        .topic(topic)
        .qos(MqttQos.AT_LEAST_ONCE)
        .retain(true)
        .payload(bytes(payload))
        .send();
  }

  private static void marker(String topic) {
    pub.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(bytes("marker")).send();
  }

  private static void assertNextIsMarker(BlockingQueue<Mqtt5Publish> in) throws Exception {
    Mqtt5Publish m = take(in);
    assertEquals("marker", text(m), "expected no retained message before the marker");
    assertFalse(m.isRetain());
  }

  @Test
  void setReplaceAndClear() throws Exception {
    retain("rt/a", "v1");
    retain("rt/a", "v2");
    retain("rt/b", "b1");
    Mqtt5BlockingClient s1 = hiveConnected(f, "ret-s1");
    BlockingQueue<Mqtt5Publish> in1 = inbox(s1);
    s1.subscribeWith().topicFilter("rt/a").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5Publish got = take(in1);
    assertEquals("v2", text(got), "the replacement, not the first value");
    assertTrue(got.isRetain(), "RETAIN=1 on a message sent because of a subscription");
    assertEquals(MqttQos.AT_LEAST_ONCE, got.getQos());
    marker("rt/a");
    assertNextIsMarker(in1);

    // An empty retained payload clears, and is itself delivered to current subscribers.
    retain("rt/a", "");
    Mqtt5Publish clear = take(in1);
    assertEquals(0, clear.getPayloadAsBytes().length);
    s1.disconnect();

    Mqtt5BlockingClient s2 = hiveConnected(f, "ret-s2");
    BlockingQueue<Mqtt5Publish> in2 = inbox(s2);
    s2.subscribeWith().topicFilter("rt/+").qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5Publish b = take(in2);
    assertEquals("rt/b", b.getTopic().toString(), "rt/a was cleared; only rt/b remains");
    marker("rt/a");
    assertNextIsMarker(in2);
    s2.disconnect();
  }

  @Test
  void retainAsPublishedForLiveMessages() throws Exception {
    Mqtt5BlockingClient plain = hiveConnected(f, "ret-rap0");
    Mqtt5BlockingClient rap = hiveConnected(f, "ret-rap1");
    BlockingQueue<Mqtt5Publish> inPlain = inbox(plain);
    BlockingQueue<Mqtt5Publish> inRap = inbox(rap);
    plain.subscribeWith().topicFilter("rap/t").qos(MqttQos.AT_LEAST_ONCE).send();
    rap.subscribeWith()
        .topicFilter("rap/t")
        .qos(MqttQos.AT_LEAST_ONCE)
        .retainAsPublished(true)
        .send();
    retain("rap/t", "live");
    assertFalse(take(inPlain).isRetain(), "Retain As Published = 0: live message has RETAIN=0");
    assertTrue(take(inRap).isRetain(), "Retain As Published = 1: RETAIN kept");
    marker("rap/t");
    assertFalse(take(inRap).isRetain(), "a non-retained message stays RETAIN=0");
    take(inPlain);
    retain("rap/t", "");
    take(inPlain);
    take(inRap);
    plain.disconnect();
    rap.disconnect();
  }

  @Test
  void retainHandlingZeroOneTwo() throws Exception {
    retain("rh/t", "kept");
    // 0: on every subscribe, also a re-subscribe.
    Mqtt5BlockingClient c0 = hiveConnected(f, "ret-rh0");
    BlockingQueue<Mqtt5Publish> in0 = inbox(c0);
    for (int i = 0; i < 2; i++) {
      c0.subscribeWith().topicFilter("rh/t").retainHandling(Mqtt5RetainHandling.SEND).send();
      Mqtt5Publish m = take(in0);
      assertEquals("kept", text(m), "subscribe #" + (i + 1));
      assertTrue(m.isRetain());
    }
    // 1: only when the subscription is new.
    Mqtt5BlockingClient c1 = hiveConnected(f, "ret-rh1");
    BlockingQueue<Mqtt5Publish> in1 = inbox(c1);
    c1.subscribeWith()
        .topicFilter("rh/t")
        .retainHandling(Mqtt5RetainHandling.SEND_IF_SUBSCRIPTION_DOES_NOT_EXIST)
        .send();
    assertEquals("kept", text(take(in1)));
    c1.subscribeWith()
        .topicFilter("rh/t")
        .retainHandling(Mqtt5RetainHandling.SEND_IF_SUBSCRIPTION_DOES_NOT_EXIST)
        .send();
    // 2: never.
    Mqtt5BlockingClient c2 = hiveConnected(f, "ret-rh2");
    BlockingQueue<Mqtt5Publish> in2 = inbox(c2);
    c2.subscribeWith().topicFilter("rh/t").retainHandling(Mqtt5RetainHandling.DO_NOT_SEND).send();
    marker("rh/t");
    assertNextIsMarker(in0);
    assertNextIsMarker(in1);
    assertNextIsMarker(in2);
    retain("rh/t", "");
    c0.disconnect();
    c1.disconnect();
    c2.disconnect();
  }

  @Test
  void retainedMessageExpires() throws Exception {
    pub.publishWith()
        .topic("rx/t")
        .qos(MqttQos.AT_LEAST_ONCE)
        .retain(true)
        .messageExpiryInterval(1)
        .payload(bytes("short-lived"))
        .send();
    long publishedAt = System.nanoTime();
    Mqtt5BlockingClient early = hiveConnected(f, "ret-exp-early");
    BlockingQueue<Mqtt5Publish> inEarly = inbox(early);
    early.subscribeWith().topicFilter("rx/t").send();
    Mqtt5Publish m = take(inEarly);
    assertEquals("short-lived", text(m));
    assertTrue(m.getMessageExpiryInterval().isPresent(), "remaining expiry is forwarded");
    assertTrue(m.getMessageExpiryInterval().getAsLong() <= 1);
    early.disconnect();

    // The interval is whole seconds: nothing to await but time itself.
    long waitMs = 1150 - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - publishedAt);
    if (waitMs > 0) {
      Thread.sleep(waitMs);
    }
    Mqtt5BlockingClient late = hiveConnected(f, "ret-exp-late");
    BlockingQueue<Mqtt5Publish> inLate = inbox(late);
    late.subscribeWith().topicFilter("rx/t").send();
    marker("rx/t");
    assertNextIsMarker(inLate);
    late.disconnect();
  }

  @Test
  void sharedSubscriptionGetsNoRetainedMessages() throws Exception {
    retain("rsh/t", "kept");
    Mqtt5BlockingClient c = hiveConnected(f, "ret-shared");
    BlockingQueue<Mqtt5Publish> in = inbox(c);
    c.subscribeWith().topicFilter("$share/g/rsh/t").send();
    marker("rsh/t");
    assertNextIsMarker(in);
    retain("rsh/t", "");
    c.disconnect();
  }

  @Test
  void v311RetainedOnSubscribeAndLive() throws Exception {
    retain("r3/t", "kept");
    BlockingQueue<MqttMessage> got = new LinkedBlockingQueue<>();
    MqttClient c = new MqttClient(f.uri(), "ret-v3", new MemoryPersistence());
    c.setCallback(collectInto(got));
    MqttConnectOptions o = new MqttConnectOptions();
    o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    c.connect(o);
    c.subscribe("r3/t", 1);
    MqttMessage first = got.poll(5, TimeUnit.SECONDS);
    assertEquals("kept", text(first.getPayload()));
    assertTrue(first.isRetained());
    retain("r3/t", "live");
    MqttMessage live = got.poll(5, TimeUnit.SECONDS);
    assertEquals("live", text(live.getPayload()));
    assertFalse(live.isRetained(), "3.1.1: RETAIN=0 on messages to established subscriptions");
    retain("r3/t", "");
    c.disconnect();
    c.close();
  }
}

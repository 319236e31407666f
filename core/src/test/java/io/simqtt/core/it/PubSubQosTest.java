package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.hiveConnected;
import static io.simqtt.core.it.Clients.text;
import static io.simqtt.core.it.PahoClients.collectInto;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult.Mqtt5Qos1Result;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult.Mqtt5Qos2Result;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.pubrec.Mqtt5PubRecReasonCode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** QoS 0/1/2 end to end with HiveMQ (MQTT 5), Paho v5 and Paho v3 (MQTT 3.1.1). */
class PubSubQosTest {
  private static final long WAIT_S = 5;
  private static BrokerFixture f;

  @BeforeAll
  static void start() {
    f = BrokerFixture.start();
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  // ---- QoS matrix ----

  @Test
  void v5QosIsTheMinimumOfPublishAndSubscription() throws Exception {
    Mqtt5BlockingClient sub = hiveConnected(f, "v5-matrix-sub");
    Mqtt5BlockingClient pub = hiveConnected(f, "v5-matrix-pub");
    try (var publishes = sub.publishes(MqttGlobalPublishFilter.ALL)) {
      for (int s = 0; s < 3; s++) {
        sub.subscribeWith().topicFilter("mx5/" + s).qos(MqttQos.fromCode(s)).send();
      }
      for (int s = 0; s < 3; s++) {
        for (int p = 0; p < 3; p++) {
          pub.publishWith()
              .topic("mx5/" + s)
              .qos(MqttQos.fromCode(p))
              .payload((s + "" + p).getBytes(StandardCharsets.UTF_8))
              .send();
          Mqtt5Publish m = publishes.receive(WAIT_S, TimeUnit.SECONDS).orElseThrow();
          assertEquals(s + "" + p, text(m));
          assertEquals(Math.min(s, p), m.getQos().getCode(), "sub " + s + " pub " + p);
          assertFalse(m.isRetain());
        }
      }
    }
    pub.disconnect();
    sub.disconnect();
  }

  @Test
  void v311QosIsTheMinimumOfPublishAndSubscription() throws Exception {
    BlockingQueue<MqttMessage> got = new LinkedBlockingQueue<>();
    MqttClient sub = paho3("v3-matrix-sub", got);
    MqttClient pub = paho3("v3-matrix-pub", null);
    for (int s = 0; s < 3; s++) {
      sub.subscribe("mx3/" + s, s);
    }
    for (int s = 0; s < 3; s++) {
      for (int p = 0; p < 3; p++) {
        pub.publish("mx3/" + s, (s + "" + p).getBytes(StandardCharsets.UTF_8), p, false);
        MqttMessage m = got.poll(WAIT_S, TimeUnit.SECONDS);
        assertEquals(s + "" + p, text(m.getPayload()));
        assertEquals(Math.min(s, p), m.getQos(), "sub " + s + " pub " + p);
        assertFalse(m.isDuplicate());
      }
    }
    pub.disconnect();
    sub.disconnect();
    pub.close();
    sub.close();
  }

  @Test
  void mixedVersionsInterop() throws Exception {
    // Paho v5 publishes, a 3.1.1 and an MQTT 5 subscriber receive; then the reverse direction.
    BlockingQueue<MqttMessage> v3Got = new LinkedBlockingQueue<>();
    BlockingQueue<org.eclipse.paho.mqttv5.common.MqttMessage> v5Got = new LinkedBlockingQueue<>();
    MqttClient v3 = paho3("mix-v3", v3Got);
    org.eclipse.paho.mqttv5.client.MqttClient v5 = paho5("mix-v5", v5Got);
    v3.subscribe("mix/to3", 2);
    v5.subscribe("mix/to5", 2);
    for (int q = 0; q < 3; q++) {
      v5.publish("mix/to3", ("a" + q).getBytes(StandardCharsets.UTF_8), q, false);
      v3.publish("mix/to5", ("b" + q).getBytes(StandardCharsets.UTF_8), q, false);
    }
    for (int q = 0; q < 3; q++) {
      MqttMessage a = v3Got.poll(WAIT_S, TimeUnit.SECONDS);
      assertEquals("a" + q, text(a.getPayload()));
      assertEquals(q, a.getQos());
      org.eclipse.paho.mqttv5.common.MqttMessage b = v5Got.poll(WAIT_S, TimeUnit.SECONDS);
      assertEquals("b" + q, text(b.getPayload()));
      assertEquals(q, b.getQos());
    }
    v3.disconnect();
    v3.close();
    v5.disconnect();
    v5.close();
  }

  // ---- exactly once and ordering ----

  @Test
  void qos2IsExactlyOnceAndOrderedV5() throws Exception {
    checkExactlyOnceAndOrderV5(2, 500);
  }

  @Test
  void qos1KeepsPublisherOrderV5() throws Exception {
    checkExactlyOnceAndOrderV5(1, 500);
  }

  private void checkExactlyOnceAndOrderV5(int qos, int n) throws Exception {
    String topic = "eo5/q" + qos;
    Mqtt5BlockingClient sub = hiveConnected(f, "eo5-sub-" + qos);
    Mqtt5AsyncClient pub = hiveConnected(f, "eo5-pub-" + qos).toAsync();
    BlockingQueue<Mqtt5Publish> got = new LinkedBlockingQueue<>();
    sub.toAsync().publishes(MqttGlobalPublishFilter.ALL, got::add);
    sub.subscribeWith().topicFilter(topic).qos(MqttQos.EXACTLY_ONCE).send();
    List<CompletableFuture<Mqtt5PublishResult>> acks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      acks.add(
          pub.publishWith()
              .topic(topic)
              .qos(MqttQos.fromCode(qos))
              .payload(String.valueOf(i).getBytes(StandardCharsets.UTF_8))
              .send());
    }
    CompletableFuture.allOf(acks.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
    for (int i = 0; i < n; i++) {
      Mqtt5Publish m = got.poll(WAIT_S, TimeUnit.SECONDS);
      assertTrue(m != null, "missing message " + i + " of " + n);
      assertEquals(String.valueOf(i), text(m), "order");
      assertEquals(qos, m.getQos().getCode());
    }
    // Nothing extra: a duplicate would show up here.
    assertEquals(null, got.poll(300, TimeUnit.MILLISECONDS));
    pub.disconnect().get(WAIT_S, TimeUnit.SECONDS);
    sub.disconnect();
  }

  @Test
  void qos2IsExactlyOnceAndOrderedV311() throws Exception {
    BlockingQueue<MqttMessage> got = new LinkedBlockingQueue<>();
    MqttClient sub = paho3("eo3-sub", got);
    MqttClient pub = paho3("eo3-pub", null);
    sub.subscribe("eo3/t", 2);
    int n = 500;
    for (int i = 0; i < n; i++) {
      pub.publish("eo3/t", String.valueOf(i).getBytes(StandardCharsets.UTF_8), 2, false);
    }
    for (int i = 0; i < n; i++) {
      MqttMessage m = got.poll(WAIT_S, TimeUnit.SECONDS);
      assertTrue(m != null, "missing message " + i + " of " + n);
      assertEquals(String.valueOf(i), text(m.getPayload()));
      assertEquals(2, m.getQos());
    }
    assertEquals(null, got.poll(300, TimeUnit.MILLISECONDS));
    pub.disconnect();
    sub.disconnect();
    pub.close();
    sub.close();
  }

  // ---- PUBACK / PUBREC reason codes ----

  @Test
  void pubAckAndPubRecSayNoMatchingSubscribers() throws Exception {
    Mqtt5BlockingClient pub = hiveConnected(f, "nms-pub");
    Mqtt5PublishResult r1 =
        pub.publishWith().topic("nms/none").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[] {1}).send();
    assertEquals(
        Mqtt5PubAckReasonCode.NO_MATCHING_SUBSCRIBERS,
        assertInstanceOf(Mqtt5Qos1Result.class, r1).getPubAck().getReasonCode());
    Mqtt5PublishResult r2 =
        pub.publishWith().topic("nms/none").qos(MqttQos.EXACTLY_ONCE).payload(new byte[] {2}).send();
    assertEquals(
        Mqtt5PubRecReasonCode.NO_MATCHING_SUBSCRIBERS,
        assertInstanceOf(Mqtt5Qos2Result.class, r2).getPubRec().getReasonCode());
    assertTrue(r2.getError().isEmpty());

    Mqtt5BlockingClient sub = hiveConnected(f, "nms-sub");
    sub.subscribeWith().topicFilter("nms/+").qos(MqttQos.AT_MOST_ONCE).send();
    Mqtt5PublishResult r3 =
        pub.publishWith().topic("nms/none").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[] {3}).send();
    assertEquals(
        Mqtt5PubAckReasonCode.SUCCESS,
        assertInstanceOf(Mqtt5Qos1Result.class, r3).getPubAck().getReasonCode());
    Mqtt5PublishResult r4 =
        pub.publishWith().topic("nms/none").qos(MqttQos.EXACTLY_ONCE).payload(new byte[] {4}).send();
    assertEquals(
        Mqtt5PubRecReasonCode.SUCCESS,
        assertInstanceOf(Mqtt5Qos2Result.class, r4).getPubRec().getReasonCode());
    sub.disconnect();
    pub.disconnect();
  }

  @Test
  void v311PublishWithoutSubscribersIsAcknowledged() throws Exception {
    MqttClient pub = paho3("v3-nosub", null);
    for (int q = 1; q < 3; q++) {
      pub.publish("nobody/listens", new byte[] {1}, q, false); // blocks until PUBACK / PUBCOMP
    }
    pub.disconnect();
    pub.close();
  }

  // ---- helpers ----

  private static MqttClient paho3(String id, BlockingQueue<MqttMessage> sink) throws Exception {
    MqttClient c = new MqttClient(f.uri(), id, new MemoryPersistence());
    c.setCallback(collectInto(sink));
    MqttConnectOptions o = new MqttConnectOptions();
    o.setCleanSession(true);
    o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    o.setMaxInflight(1000);
    c.connect(o);
    return c;
  }

  private static org.eclipse.paho.mqttv5.client.MqttClient paho5(
      String id, BlockingQueue<org.eclipse.paho.mqttv5.common.MqttMessage> sink) throws Exception {
    var c =
        new org.eclipse.paho.mqttv5.client.MqttClient(
            f.uri(), id, new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
    c.setCallback(
        new org.eclipse.paho.mqttv5.client.MqttCallback() {
          @Override
          public void disconnected(MqttDisconnectResponse r) {}

          @Override
          public void mqttErrorOccurred(MqttException e) {}

          @Override
          public void messageArrived(String topic, org.eclipse.paho.mqttv5.common.MqttMessage m) {
            sink.add(m);
          }

          @Override
          public void deliveryComplete(IMqttToken token) {}

          @Override
          public void connectComplete(boolean reconnect, String uri) {}

          @Override
          public void authPacketArrived(int reasonCode, MqttProperties properties) {}
        });
    MqttConnectionOptions o = new MqttConnectionOptions();
    o.setCleanStart(true);
    c.connect(o);
    return c;
  }
}

package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.hiveClient;
import static io.simqtt.core.it.Clients.hiveConnected;
import static io.simqtt.core.it.Clients.text;
import static io.simqtt.core.it.RawClient.ack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttPacket.Subscription;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.PacketType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Outbound flow control: the subscriber's Receive Maximum and the broker's max-inflight. */
class FlowControlTest {

  private static List<CompletableFuture<Mqtt5PublishResult>> publishMany(
      Mqtt5AsyncClient pub, String topic, int n, MqttQos qos) {
    List<CompletableFuture<Mqtt5PublishResult>> acks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      acks.add(pub.publishWith().topic(topic).qos(qos).payload(bytes(String.valueOf(i))).send());
    }
    return acks;
  }

  @Test
  void subscriberReceiveMaximumBoundsUnacknowledgedMessages() throws Exception {
    int window = 3;
    int n = 60;
    try (BrokerFixture f = BrokerFixture.start()) {
      Mqtt5BlockingClient sub =
          hiveClient(f, "fc-sub");
      sub.connectWith().restrictions().receiveMaximum(window).applyRestrictions().send();
      AtomicInteger inFlight = new AtomicInteger();
      AtomicInteger maxInFlight = new AtomicInteger();
      BlockingQueue<Mqtt5Publish> held = new LinkedBlockingQueue<>();
      List<String> order = new ArrayList<>();
      sub.toAsync()
          .publishes(
              MqttGlobalPublishFilter.ALL,
              p -> {
                int now = inFlight.incrementAndGet();
                maxInFlight.accumulateAndGet(now, Math::max);
                synchronized (order) {
                  order.add(text(p));
                }
                held.add(p);
              },
              true);
      sub.subscribeWith().topicFilter("fc/t").qos(MqttQos.AT_LEAST_ONCE).send();
      Mqtt5AsyncClient pub = hiveConnected(f, "fc-pub").toAsync();
      List<CompletableFuture<Mqtt5PublishResult>> acks =
          publishMany(pub, "fc/t", n, MqttQos.AT_LEAST_ONCE);
      CompletableFuture.allOf(acks.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);

      await("window filled", () -> inFlight.get() == window);
      // The broker holds all 60 messages; with 3 unacknowledged it must keep the rest back.
      Thread.sleep(300);
      assertEquals(window, inFlight.get(), "messages beyond the Receive Maximum were sent");
      for (int acked = 0; acked < n; acked++) {
        Mqtt5Publish p = held.poll(5, TimeUnit.SECONDS);
        assertTrue(p != null, "stalled after " + acked + " acks");
        inFlight.decrementAndGet(); // before the PUBACK leaves: the next may arrive at once
        p.acknowledge();
      }
      assertTrue(maxInFlight.get() <= window, "in flight peaked at " + maxInFlight.get());
      await("all delivered", () -> {
        synchronized (order) {
          return order.size() == n;
        }
      });
      synchronized (order) {
        for (int i = 0; i < n; i++) {
          assertEquals(String.valueOf(i), order.get(i));
        }
      }
      pub.disconnect().get(5, TimeUnit.SECONDS);
      sub.disconnect();
    }
  }

  @Test
  void rawSubscriberGetsExactlyTheWindowUntilItAcks() throws Exception {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient sub = RawClient.open(f, MqttVersion.MQTT_5)) {
      MqttProperties props = MqttProperties.empty();
      props.receiveMaximum = 2;
      sub.connect("fc-raw", true, 0, props);
      sub.subscribe(1, 0, new Subscription("fcr/#", 2, false, false, 0));
      Mqtt5AsyncClient pub = hiveConnected(f, "fc-raw-pub").toAsync();
      List<CompletableFuture<Mqtt5PublishResult>> acks = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        acks.add(
            pub.publishWith()
                .topic("fcr/t")
                .qos(i % 2 == 0 ? MqttQos.AT_LEAST_ONCE : MqttQos.EXACTLY_ONCE)
                .payload(bytes(String.valueOf(i)))
                .send());
      }
      CompletableFuture.allOf(acks.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
      Publish p0 = sub.expect(Publish.class);
      Publish p1 = sub.expect(Publish.class);
      assertEquals(List.of("0", "1"), List.of(text(p0), text(p1)));
      assertNull(sub.poll(300), "a third message while two are unacknowledged");
      sub.send(ack(PacketType.PUBACK, p0.packetId()));
      Publish p2 = sub.expect(Publish.class);
      assertEquals("2", text(p2));
      assertNull(sub.poll(200));
      // PUBREC does not free the slot of a QoS 2 message; PUBCOMP does.
      sub.send(ack(PacketType.PUBREC, p1.packetId()));
      assertEquals(PacketType.PUBREL, sub.expect(PubResponse.class).type());
      assertNull(sub.poll(200), "QoS 2 message still in flight until PUBCOMP");
      sub.send(ack(PacketType.PUBCOMP, p1.packetId()));
      Publish p3 = sub.expect(Publish.class);
      assertEquals("3", text(p3));
      pub.disconnect().get(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void brokerMaxInflightCapsBelowTheClientsReceiveMaximum() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.sessions.max-inflight = 1");
        RawClient sub = RawClient.open(f, MqttVersion.MQTT_5)) {
      sub.connect("fc-cap");
      sub.subscribe(1, 0, new Subscription("fcc/#", 1, false, false, 0));
      Mqtt5AsyncClient pub = hiveConnected(f, "fc-cap-pub").toAsync();
      CompletableFuture.allOf(
              publishMany(pub, "fcc/t", 5, MqttQos.AT_LEAST_ONCE).toArray(new CompletableFuture[0]))
          .get(10, TimeUnit.SECONDS);
      for (int i = 0; i < 5; i++) {
        Publish p = sub.expect(Publish.class);
        assertEquals(String.valueOf(i), text(p));
        assertNull(sub.poll(i == 0 ? 300 : 50), "only one in flight");
        sub.send(ack(PacketType.PUBACK, p.packetId()));
      }
      pub.disconnect().get(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void queueBeyondTheWindowIsBoundedDropNewOrOldest() throws Exception {
    for (String policy : new String[] {"drop-new", "drop-oldest"}) {
      try (BrokerFixture f =
              BrokerFixture.start(
                  "mqtt.sessions { max-queued-messages = 3, queue-overflow = " + policy + " }");
          RawClient sub = RawClient.open(f, MqttVersion.MQTT_5)) {
        MqttProperties props = MqttProperties.empty();
        props.receiveMaximum = 1;
        sub.connect("fc-q-" + policy, true, 0, props);
        sub.subscribe(1, 0, new Subscription("fcq/#", 1, false, false, 0));
        Mqtt5AsyncClient pub = hiveConnected(f, "fc-q-pub").toAsync();
        CompletableFuture.allOf(
                publishMany(pub, "fcq/t", 10, MqttQos.AT_LEAST_ONCE)
                    .toArray(new CompletableFuture[0]))
            .get(10, TimeUnit.SECONDS);
        // 1 in flight + 3 queued; 6 dropped.
        List<String> got = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          Publish p = sub.expect(Publish.class);
          got.add(text(p));
          sub.send(ack(PacketType.PUBACK, p.packetId()));
        }
        assertNull(sub.poll(200), policy);
        List<String> want =
            policy.equals("drop-new") ? List.of("0", "1", "2", "3") : List.of("0", "7", "8", "9");
        assertEquals(want, got, policy);
        assertEquals(
            6, f.broker().metrics().drops(io.simqtt.core.metrics.DropReason.QUEUE_FULL), policy);
        pub.disconnect().get(5, TimeUnit.SECONDS);
      }
    }
  }

}

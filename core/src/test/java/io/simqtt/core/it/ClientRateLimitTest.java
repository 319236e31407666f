package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.hiveConnected;
import static io.simqtt.core.it.Clients.take;
import static io.simqtt.core.it.Clients.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A client over its inbound rate is slowed by not being read, not disconnected, and other clients
 * do not notice.
 */
class ClientRateLimitTest {

  @Test
  void aPublisherAsFastAsItCanIsHeldToItsRateWhileAnotherFlows() throws Exception {
    int rate = 100;
    try (BrokerFixture f = BrokerFixture.start(
            "mqtt.limits.max-messages-per-second = " + rate + "\n")) {
      Mqtt5BlockingClient subscriber = hiveConnected(f, "sub");
      Mqtt5BlockingClient calm = hiveConnected(f, "calm");
      BlockingQueue<Mqtt5Publish> calmInbox = new java.util.concurrent.LinkedBlockingQueue<>();
      AtomicInteger floodArrivals = new AtomicInteger();
      long[] floodStart = new long[1];
      long window = TimeUnit.SECONDS.toNanos(3);
      AtomicInteger inWindow = new AtomicInteger();
      subscriber.toAsync().publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL, p -> {
        if (p.getTopic().toString().equals("flood")) {
          floodArrivals.incrementAndGet();
          if (System.nanoTime() - floodStart[0] <= window) {
            inWindow.incrementAndGet();
          }
        } else {
          calmInbox.add(p);
        }
      });
      subscriber.subscribeWith().topicFilter("flood").qos(MqttQos.AT_LEAST_ONCE).send();
      subscriber.subscribeWith().topicFilter("calm").qos(MqttQos.AT_LEAST_ONCE).send();

      Mqtt5AsyncClient flooder = Clients.hiveBuilder(f, "flooder").buildAsync();
      flooder.connectWith().keepAlive(2).send().get(5, TimeUnit.SECONDS);
      floodStart[0] = System.nanoTime();
      // As fast as the client can: 5,000 QoS 1 messages handed over at once (bounded in count;
      // the client keeps the broker's Receive Maximum in flight and queues the rest).
      byte[] payload = new byte[32];
      for (int i = 0; i < 5000; i++) {
        flooder.publishWith().topic("flood").qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
      }

      // Meanwhile another client's messages go through at once, one after the other.
      long slowest = 0;
      int calmSent = 0;
      while (System.nanoTime() - floodStart[0] < window && calmSent < 1000) {
        long sent = System.nanoTime();
        calm.publishWith().topic("calm").qos(MqttQos.AT_LEAST_ONCE)
            .payload(bytes("c" + calmSent)).send();
        assertEquals("c" + calmSent, text(take(calmInbox, Duration.ofSeconds(2))));
        slowest = Math.max(slowest, System.nanoTime() - sent);
        calmSent++;
      }
      await(Duration.ofSeconds(5), () -> System.nanoTime() - floodStart[0] > window + 100_000_000L,
          "the window to close");

      // One second's worth at once, then 100 per second for 3 s, plus the packet that went over.
      int held = inWindow.get();
      assertTrue(held <= rate + 3 * rate + 1, held + " flood messages in 3 s");
      assertTrue(held >= rate, "the burst got through: " + held);
      assertTrue(calmSent >= 10, "the calm client's messages flowed: " + calmSent);
      assertTrue(f.broker().metrics().readsPausedForMessages() > 0);

      // Slowed, not disconnected: still connected, and its messages still arrive.
      assertTrue(flooder.getState().isConnected(), "the flooder is still connected");
      int before = floodArrivals.get();
      await(Duration.ofSeconds(5), () -> floodArrivals.get() >= before + 50,
          "more flood messages, at the rate");
      assertTrue(flooder.getState().isConnected(), "the flooder is still connected");
      System.out.printf("flood: %d in 3 s; calm: %d round trips, slowest %d ms%n",
          held, calmSent, TimeUnit.NANOSECONDS.toMillis(slowest));
      flooder.disconnect();
      calm.disconnect();
      subscriber.disconnect();
    }
  }

  @Test
  void aClientPausedForLongerThanItsKeepAliveIsNotDisconnected() {
    // 10 KiB per second and a 50 KiB message: after it the client is not read for about 4 s,
    // well past 1.5 x its keep alive of 1 s.
    try (BrokerFixture f = BrokerFixture.start("mqtt.limits.max-bytes-per-second = 10KiB\n");
        RawClient raw = RawClient.open(f, MqttVersion.MQTT_5)) {
      raw.connect("big", true, 1, null);
      int first = raw.publish("big", 1, false, new byte[50 * 1024]);
      assertEquals(first, raw.expect(PubResponse.class).packetId());
      long paused = System.nanoTime();
      int second = raw.publish("big", 1, false, bytes("small"));
      PubResponse ack = raw.expect(PubResponse.class, Duration.ofSeconds(10));
      long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - paused);
      assertEquals(second, ack.packetId(), "not a DISCONNECT for keep alive: " + ack);
      assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, ack.reasonCode());
      assertTrue(waited >= 2000, "the second message waited for the pause: " + waited + " ms");
      assertTrue(f.broker().metrics().readsPausedForBytes() >= 1);
    }
  }
}

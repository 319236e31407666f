package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.drain;
import static io.simqtt.core.it.Clients.hiveClient;
import static io.simqtt.core.it.Clients.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.metrics.DropReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bounds on messages kept for a session (mqtt.sessions.max-queued-messages and
 * max-queued-bytes) and their policy.
 */
class OfflineQueueTest {
  private static final Duration QUIET = Duration.ofMillis(300);

  private static BrokerFixture broker(String policy) {
    return BrokerFixture.start(
        "mqtt.sessions { max-queued-messages = 3, queue-overflow = " + policy + " }");
  }

  private static List<String> expected(String policy, String... all) {
    // Six messages into a bound of three: drop-new keeps the first three, drop-oldest the last.
    return policy.equals("drop-new")
        ? List.of(all[0], all[1], all[2])
        : List.of(all[3], all[4], all[5]);
  }

  @ParameterizedTest
  @ValueSource(strings = {"drop-new", "drop-oldest"})
  void offlineSessionKeepsOnlyTheBound(String policy) throws Exception {
    try (BrokerFixture f = broker(policy)) {
      subscribeAndLeave(f, "q/t");
      Mqtt5BlockingClient pub = publish(f, "q/t", "m1", "m2", "m3", "m4", "m5", "m6");
      awaitDrops(f, DropReason.QUEUE_FULL, 3);

      Resumed back = resume(f);
      assertTrue(back.sessionPresent());
      assertEquals(expected(policy, "m1", "m2", "m3", "m4", "m5", "m6"), back.received());
      assertEquals(3, f.broker().metrics().drops(DropReason.QUEUE_FULL));
      back.client().disconnect();
      pub.disconnect();
    }
  }

  /**
   * The byte bound: messages of 6 bytes each (topic "b/t", payload "mN"... 3 + 3) into a bound of
   * 18 bytes, the count bound far away. Drops are counted apart from the count bound's.
   */
  @ParameterizedTest
  @ValueSource(strings = {"drop-new", "drop-oldest"})
  void offlineSessionKeepsOnlyTheBytesBound(String policy) throws Exception {
    try (BrokerFixture f = bytesBroker(policy)) {
      subscribeAndLeave(f, "b/t");
      Mqtt5BlockingClient pub = publish(f, "b/t", "m01", "m02", "m03", "m04", "m05", "m06");
      awaitDrops(f, DropReason.QUEUE_BYTES_FULL, 3);

      Resumed back = resume(f);
      assertTrue(back.sessionPresent());
      assertEquals(
          expected(policy, "m01", "m02", "m03", "m04", "m05", "m06"), back.received());
      assertEquals(3, f.broker().metrics().drops(DropReason.QUEUE_BYTES_FULL));
      assertEquals(0, f.broker().metrics().drops(DropReason.QUEUE_FULL));
      back.client().disconnect();
      pub.disconnect();
    }
  }

  /**
   * A message larger than the whole byte bound (3 + 16 = 19 bytes) never fits: it is dropped
   * (counted) under drop-oldest too, and what was queued stays.
   */
  @ParameterizedTest
  @ValueSource(strings = {"drop-new", "drop-oldest"})
  void aMessageLargerThanTheBytesBoundIsDroppedItself(String policy) throws Exception {
    try (BrokerFixture f = bytesBroker(policy)) {
      subscribeAndLeave(f, "b/t");
      Mqtt5BlockingClient pub = publish(f, "b/t", "m01", "too large for it", "m02");
      awaitDrops(f, DropReason.QUEUE_BYTES_FULL, 1);

      Resumed back = resume(f);
      assertEquals(List.of("m01", "m02"), back.received());
      back.client().disconnect();
      pub.disconnect();
    }
  }

  /** Online but slow: the in-flight window (Receive Maximum 2) is full, the queue holds 3 more. */
  @ParameterizedTest
  @ValueSource(strings = {"drop-new", "drop-oldest"})
  void queueBeyondTheInflightWindowIsBoundedToo(String policy) throws Exception {
    try (BrokerFixture f = broker(policy);
        RawClient raw = RawClient.open(f, MqttVersion.MQTT_5)) {
      MqttProperties p = MqttProperties.empty();
      p.receiveMaximum = 2;
      raw.connect("slow", true, 60, p);
      raw.subscribe("slow/t", 1);

      Mqtt5BlockingClient pub =
          publish(f, "slow/t", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8");
      // Two in flight (s1, s2), three queued, three dropped.
      Publish first = raw.expect(Publish.class, RawClient.WAIT);
      Publish second = raw.expect(Publish.class, RawClient.WAIT);
      assertEquals("s1", text(first.payload()));
      assertEquals("s2", text(second.payload()));
      assertNull(raw.read(QUIET), "window of 2 is full");
      awaitDrops(f, DropReason.QUEUE_FULL, 3);

      List<String> rest = new ArrayList<>();
      raw.puback(first.packetId());
      raw.puback(second.packetId());
      Publish next;
      while ((next = (Publish) raw.read(QUIET)) != null) {
        rest.add(text(next.payload()));
        raw.puback(next.packetId());
      }
      assertEquals(expected(policy, "s3", "s4", "s5", "s6", "s7", "s8"), rest);
      pub.disconnect();
    }
  }

  private static BrokerFixture bytesBroker(String policy) {
    return BrokerFixture.start(
        "mqtt.sessions { max-queued-bytes = 18B, queue-overflow = " + policy + " }");
  }

  /** Client "offline" subscribes to {@code topic} at QoS 1 with a session of 60 s, and leaves. */
  private static void subscribeAndLeave(BrokerFixture f, String topic) {
    Mqtt5BlockingClient sub = hiveClient(f, "offline");
    sub.connectWith().cleanStart(true).sessionExpiryInterval(60).send();
    sub.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
    sub.disconnect();
  }

  /** Client "pub", connected, once it published {@code payloads} to {@code topic} at QoS 1. */
  private static Mqtt5BlockingClient publish(BrokerFixture f, String topic, String... payloads) {
    Mqtt5BlockingClient pub = hiveClient(f, "pub");
    pub.connect();
    for (String payload : payloads) {
      pub.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(bytes(payload)).send();
    }
    return pub;
  }

  private static void awaitDrops(BrokerFixture f, DropReason reason, long count) {
    await(
        Duration.ofSeconds(3),
        () -> f.broker().metrics().drops(reason) == count,
        count + " " + reason + " drops");
  }

  /** Client "offline" back, connected; what its session kept came until quiet. */
  private record Resumed(
      Mqtt5BlockingClient client, boolean sessionPresent, List<String> received) {}

  private static Resumed resume(BrokerFixture f) throws InterruptedException {
    Mqtt5BlockingClient back = hiveClient(f, "offline");
    try (var publishes = back.publishes(MqttGlobalPublishFilter.ALL)) {
      boolean present =
          back.connectWith().cleanStart(false).sessionExpiryInterval(60).send().isSessionPresent();
      return new Resumed(back, present, drain(publishes, QUIET));
    }
  }
}

package io.simqtt.store;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.BrokerFixture;
import io.simqtt.core.it.RawClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Stored sessions' queues on a real store: what the disk holds, and what a client gets back. */
final class StoredQueues {
  private static final Duration QUIET = Duration.ofMillis(300);

  private StoredQueues() {}

  /** How many deliveries (queued or in flight) {@code store} holds for {@code clientId}. */
  static int entries(DurableStore store, String clientId) {
    AtomicInteger n = new AtomicInteger();
    store.forEach(Family.MESSAGES, (key, value) -> {
      if (Keys.clientIdOf(key).equals(clientId) && Keys.kindOf(key) == Keys.DELIVERY) {
        n.incrementAndGet();
      }
    });
    return n.get();
  }

  /**
   * Members of {@code group} on {@code f} (whose {@code mqtt.sessions.max-inflight} is 1): b,
   * stored and offline, and a, stored and connected; of two QoS 2 messages published to s/t, m1
   * is in flight to a (its PUBREC not sent) and m2 queued behind its window, both on disk.
   * Returns a's connection.
   */
  static RawClient oneInFlightAndOneQueuedForA(BrokerFixture f, DurableStore store, String group) {
    try (RawClient b = RawClient.open(f, MqttVersion.MQTT_5)) {
      b.connect("b", true, 0, RawClient.sessionExpiry(3600));
      b.subscribe(group, 2);
      b.disconnect(ReasonCode.NORMAL_DISCONNECTION, MqttProperties.empty());
    }
    RawClient a = RawClient.open(f, MqttVersion.MQTT_5);
    a.connect("a", true, 0, RawClient.sessionExpiry(3600));
    a.subscribe(group, 2);
    await("b offline", () -> f.broker().sessions().get("b") != null
        && !f.broker().sessions().get("b").isConnected());
    try (RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
      pub.connect("pub");
      pub.publish("s/t", 2, false, bytes("m1"));
      pub.publish("s/t", 2, false, bytes("m2"));
      pub.expect(PubResponse.class);
      pub.expect(PubResponse.class);
    }
    Publish first = a.expect(Publish.class);
    assertEquals("m1", new String(first.payload(), StandardCharsets.UTF_8),
        "the connected member first");
    await("m1 in flight, m2 queued behind the window", () -> entries(store, "a") == 2);
    return a;
  }

  /**
   * The messages {@code clientId}'s stored session gets when it connects again, until quiet, each
   * acknowledged (a QoS 2 one finished).
   */
  static List<String> received(BrokerFixture f, String clientId) {
    try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      assertTrue(c.connect(clientId, false, 0, RawClient.sessionExpiry(3600)).sessionPresent());
      return c.payloadsUntilQuiet(QUIET);
    }
  }
}

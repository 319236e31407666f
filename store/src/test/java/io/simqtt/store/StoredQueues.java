package io.simqtt.store;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.it.BrokerFixture;
import io.simqtt.core.it.RawClient;
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

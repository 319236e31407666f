package io.simqtt.store;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.store.StoredQueues.entries;
import static io.simqtt.store.StoredQueues.oneInFlightAndOneQueuedForA;
import static io.simqtt.store.StoredQueues.received;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.BrokerFixture;
import io.simqtt.core.it.RawClient;
import io.simqtt.core.metrics.DropReason;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * [MQTT-4.8.2-5] on a real RocksDB store: a QoS 2 shared delivery sent to a member whose session
 * ends before its PUBREC goes to no other member, and its entry leaves the disk with the session
 * (nothing passes it on, so the session's deletion is what removes it); the one still queued goes
 * to the other member. After a restart neither side has the sent one.
 */
@Timeout(60)
class SharedQos2MemberEndedDiskTest {
  private static final String GROUP = "$share/g/s/t";

  @TempDir Path dir;

  @Test
  void theSentQos2DeliveryEndsWithTheSessionOnDiskTooAndTheQueuedOneMoves() {
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir));
        BrokerFixture f = BrokerFixture.start("mqtt.sessions.max-inflight = 1",
            new DiskSessionStore(store))) {
      RawClient a = oneInFlightAndOneQueuedForA(f, store, GROUP);
      long before = f.broker().metrics().drops(DropReason.MEMBER_ENDED);

      a.disconnect(ReasonCode.NORMAL_DISCONNECTION, RawClient.sessionExpiry(0)); // no PUBREC
      await("a's session over", () -> f.broker().sessions().get("a") == null);
      await("nothing of a left on disk", () -> entries(store, "a") == 0);
      await("m2 with b", () -> entries(store, "b") >= 1);
      assertEquals(before + 1, f.broker().metrics().drops(DropReason.MEMBER_ENDED));
      a.close();
    }

    try (DurableStore store = DurableStore.open(StoreDirs.always(dir));
        BrokerFixture f = BrokerFixture.start("", new DiskSessionStore(store))) {
      assertEquals(List.of("m2"), received(f, "b"), "m1 was sent to a: it reaches no other member");
      try (RawClient a = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertFalse(a.connect("a", false, 0, RawClient.sessionExpiry(0)).sessionPresent());
        assertEquals(List.of(), a.payloadsUntilQuiet(Duration.ofMillis(300)));
      }
    }
  }
}

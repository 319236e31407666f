package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.SharedMembers.offlineMember;
import static io.simqtt.core.it.SharedMembers.publishNumbered;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.session.RecordingSessionStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Durable mode: an administrator discards a member of a shared group whose shared deliveries lie
 * partly on disk. It reads them off the event loop before it ends and hands them on; the store
 * holds that read until the test lets it through ({@link RecordingSessionStore#hold}).
 */
class DiscardedSharedMemberTest {
  private static final Duration QUIET = Duration.ofMillis(300);
  private static final String CONFIG =
      "mqtt.sys.interval = 0\nmqtt.sessions.queue-memory-messages = 2\n";

  /**
   * The discarded member leaves its group at once: what is published meanwhile goes to the other
   * (offline) member, behind what the discarded one held on the heap (handed on at once), and once
   * the read is in, what it held on disk follows; every message reaches the other member once.
   * (The other member keeps two on the heap too: 5 and 6 come from its own disk.) Before, the
   * discarded member stayed in the group until its read was done, so half of what was published
   * meanwhile was chosen for it and reached the other member only after the read.
   */
  @Test
  void aDiscardedMemberReadingItsSharedDeliveriesLeavesTheGroupAtOnce() throws Exception {
    RecordingSessionStore store = new RecordingSessionStore();
    try (BrokerFixture f = BrokerFixture.start(CONFIG, store)) {
      offlineMember(f, "c");
      try (RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
        pub.connect("pub");
        publishNumbered(pub, 4); // c, the only member: 1 and 2 on its heap, 3 and 4 on disk
        offlineMember(f, "d");
        store.hold();
        f.broker().sessions().kick("c", true).get(5, TimeUnit.SECONDS);
        await("c reads its shared deliveries on disk", () -> store.waiting() > 0);

        pub.publish("t", 1, false, bytes("5"));
        pub.publish("t", 1, false, bytes("6"));
        try (RawClient d = RawClient.open(f, MqttVersion.MQTT_5)) {
          assertTrue(d.connect(connect("d", false)).sessionPresent());
          assertEquals(List.of("1", "2"), d.payloadsUntilQuiet(QUIET), "what c held on the heap");

          List<String> rest = new ArrayList<>();
          for (int i = 0; i < 20 && rest.size() < 4; i++) {
            store.makeDurable(); // the page reads: c's (it hands 3 and 4 on and ends), d's own
            rest.addAll(d.payloadsUntilQuiet(QUIET));
          }
          assertEquals(List.of("5", "6", "3", "4"), rest,
              "5 and 6 were chosen for c, which is reading to end; or c's went twice");
        }
        store.makeDurable(); // d's entries of them: c's store and registry let it go
        await("c ended", () -> f.broker().sessions().get("c") == null);
      }
    }
  }

  /**
   * The only member of a group is discarded while its shared deliveries lie partly on disk: with
   * no other member to take them, they are dropped (counted), and it ends. Before, each came back
   * to the ending session (the router's fallback for a member that lives on), queued behind what
   * it still read, and was handed on again, page after page: it never ended.
   */
  @Test
  @Timeout(30)
  void theOnlyMemberDiscardedWithSharedDeliveriesOnDiskDropsThemCountedAndEnds() throws Exception {
    RecordingSessionStore store = new RecordingSessionStore();
    try (BrokerFixture f = BrokerFixture.start(CONFIG, store)) {
      offlineMember(f, "c");
      try (RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
        pub.connect("pub");
        publishNumbered(pub, 6); // 1 and 2 on its heap, 3 to 6 on disk
      }
      long before = f.broker().metrics().drops(DropReason.NO_SUBSCRIBERS);
      f.broker().sessions().kick("c", true).get(5, TimeUnit.SECONDS);
      await("c ended", () -> f.broker().sessions().get("c") == null);
      assertEquals(before + 6, f.broker().metrics().drops(DropReason.NO_SUBSCRIBERS));
      assertTrue(store.messages("c").isEmpty(), "left in the store: " + store.messages("c"));
    }
  }

  private static Connect connect(String clientId, boolean cleanStart) {
    return new Connect(MqttVersion.MQTT_5, cleanStart, 60, clientId, null, null, null,
        RawClient.sessionExpiry(3600));
  }
}

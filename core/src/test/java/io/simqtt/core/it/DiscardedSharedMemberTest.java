package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.session.RecordingSessionStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Durable mode: an administrator discards a member of a shared group whose shared deliveries lie
 * partly on disk. It reads them off the event loop before it ends and hands them on; the store
 * holds that read until the test lets it through ({@link RecordingSessionStore#hold}).
 */
class DiscardedSharedMemberTest {
  private static final Duration QUIET = Duration.ofMillis(300);

  /**
   * The discarded member leaves its group at once: what is published meanwhile goes to the other
   * (offline) member, and once the read is in, what the discarded one held follows; every
   * message reaches the other member once. Before, the discarded member stayed in the group until
   * its read was done, so half of what was published meanwhile was chosen for it and reached the
   * other member only after the read.
   */
  @Test
  void aDiscardedMemberReadingItsSharedDeliveriesLeavesTheGroupAtOnce() throws Exception {
    RecordingSessionStore store = new RecordingSessionStore();
    try (BrokerFixture f = BrokerFixture.start(
        "mqtt.sys.interval = 0\nmqtt.sessions.queue-memory-messages = 2\n", store)) {
      offlineMember(f, "c");
      try (RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
        pub.connect("pub");
        for (int n = 1; n <= 4; n++) { // c, the only member: 1 and 2 on its heap, 3 and 4 on disk
          pub.publish("t", 1, false, bytes(Integer.toString(n)));
          pub.expect(PubResponse.class);
        }
        offlineMember(f, "d");
        store.hold();
        f.broker().sessions().kick("c", true).get(5, TimeUnit.SECONDS);
        await("c reads its shared deliveries on disk", () -> store.waiting() > 0);

        pub.publish("t", 1, false, bytes("5"));
        pub.publish("t", 1, false, bytes("6"));
        try (RawClient d = RawClient.open(f, MqttVersion.MQTT_5)) {
          assertTrue(d.connect(connect("d", false)).sessionPresent());
          assertEquals(List.of("5", "6"), read(d),
              "published after the discard and chosen for c, which is reading to end");

          for (int i = 0; i < 20 && store.waiting() > 0; i++) {
            store.makeDurable(); // c's page reads; it hands 1 to 4 on and ends
          }
          assertEquals(List.of("1", "2", "3", "4"), read(d), "what c held, once each");
        }
        store.makeDurable(); // d's entries of them: c's store and registry let it go
        await("c ended", () -> f.broker().sessions().get("c") == null);
      }
    }
  }

  /** {@code clientId}'s stored session, a member of $share/g/t at QoS 1, offline. */
  private static void offlineMember(BrokerFixture f, String clientId) {
    try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      assertEquals(ReasonCode.SUCCESS, c.connect(connect(clientId, true)).reasonCode());
      c.subscribe("$share/g/t", 1);
      c.disconnect(ReasonCode.NORMAL_DISCONNECTION, MqttProperties.empty());
    }
    await(clientId + " offline", () -> !f.broker().sessions().get(clientId).isConnected());
  }

  private static Connect connect(String clientId, boolean cleanStart) {
    return new Connect(MqttVersion.MQTT_5, cleanStart, 60, clientId, null, null, null,
        RawClient.sessionExpiry(3600));
  }

  /** The payloads {@code c} receives until it is quiet, each acknowledged. */
  private static List<String> read(RawClient c) {
    List<String> got = new ArrayList<>();
    MqttPacket next;
    while ((next = c.read(QUIET)) != null) {
      if (next instanceof Publish p) {
        got.add(Clients.text(p));
        c.puback(p.packetId());
      }
    }
    return got;
  }
}

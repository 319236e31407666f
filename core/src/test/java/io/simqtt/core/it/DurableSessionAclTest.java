package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.session.RecordingSessionStore;
import io.simqtt.core.session.StoredSession;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durable mode with an ACL file: a session rebuilt from the store after a restart follows its
 * client's rules before the client connects again (before, it could do anything until then: a
 * message it may not receive was queued for it, and its will went out unchecked).
 */
class DurableSessionAclTest {
  private static final Duration QUIET = Duration.ofMillis(300);
  private static final long HOUR = 3600;
  private static final String RULES = """
      user alice
      topic read home/#
      topic deny home/secret/#
      user carol
      topic write home/#
      topic write will/#
      user watcher
      topic read will/#
      """;

  @TempDir Path dir;

  private String aclConfig(String rules) throws Exception {
    Path acl = Files.writeString(dir.resolve("acl-" + rules.hashCode()), rules);
    return "mqtt.sys.interval = 0\nmqtt.auth { acl-file = \"" + acl + "\", failure-delay = 0 }\n";
  }

  /** A persistent CONNECT of {@code clientId} as {@code user}, with {@code will} if not null. */
  private static Connect connect(String clientId, String user, boolean cleanStart,
      MqttPacket.Will will) {
    return new Connect(MqttVersion.MQTT_5, cleanStart, 60, clientId, will, user, null,
        RawClient.sessionExpiry(HOUR));
  }

  private static void storedSubscriber(BrokerFixture f, RecordingSessionStore store,
      String clientId, String user, String filter) {
    try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      assertEquals(ReasonCode.SUCCESS, c.connect(connect(clientId, user, true, null)).reasonCode());
      c.subscribe(filter, 1);
      c.disconnect(ReasonCode.NORMAL_DISCONNECTION, MqttProperties.empty());
    }
    await("the session stored offline", () -> store.session(clientId) != null
        && store.session(clientId).offlineSinceMillis() != 0);
  }

  @Test
  void aRecoveredSessionGetsOnlyWhatItsClientMayReceive() throws Exception {
    String config = aclConfig(RULES);
    RecordingSessionStore store = new RecordingSessionStore();
    try (BrokerFixture f = BrokerFixture.start(config, store)) {
      storedSubscriber(f, store, "sub", "alice", "home/#");
    }
    RecordingSessionStore restarted = store.afterKill();
    try (BrokerFixture f = BrokerFixture.start(config, restarted)) {
      try (RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertEquals(ReasonCode.SUCCESS,
            pub.connect(connect("pub", "carol", true, null)).reasonCode());
        pub.publish("home/secret/key", 1, false, bytes("s"));
        pub.publish("home/t", 1, false, bytes("21"));
      }
      try (RawClient sub = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertTrue(sub.connect(connect("sub", "alice", false, null)).sessionPresent());
        assertEquals(List.of("home/t"), sub.topicsUntilQuiet(QUIET),
            "alice may not receive home/secret/#, also before she reconnects");
      }
    }
  }

  @Test
  void aWillWhoseDelayPassedWhileTheNodeWasDownIsCheckedAgainstTheRulesInForce()
      throws Exception {
    RecordingSessionStore store = new RecordingSessionStore();
    try (BrokerFixture f = BrokerFixture.start(aclConfig(RULES), store)) {
      storedSubscriber(f, store, "watcher", "watcher", "will/#");
      MqttProperties delay = MqttProperties.empty();
      delay.willDelayInterval = 30L;
      MqttPacket.Will will = new MqttPacket.Will(
          "will/dev", "gone".getBytes(StandardCharsets.UTF_8), 1, false, delay);
      try (RawClient dev = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertEquals(ReasonCode.SUCCESS,
            dev.connect(connect("dev", "carol", true, will)).reasonCode());
        dev.abort();
      }
      await("dev stored offline with its will", () -> store.session("dev") != null
          && store.session("dev").offlineSinceMillis() != 0 && store.session("dev").will() != null);
    }
    RecordingSessionStore restarted = store.afterKill();
    StoredSession dev = restarted.session("dev");
    assertNotNull(dev.identity(), "the client's identity is kept with its session");
    // Down for two minutes: the will's delay passed meanwhile.
    restarted.put(new StoredSession(dev.clientId(), dev.subscriptions(), dev.expiryInterval(),
        dev.will(), dev.offlineSinceMillis() - 120_000, dev.lastPacketId(), dev.inboundQos2(),
        dev.identity(), dev.lineage()));
    // Meanwhile carol lost the right to publish to will/#.
    String rules = RULES.replace("topic write will/#\n", "");
    try (BrokerFixture f = BrokerFixture.start(aclConfig(rules), restarted)) {
      try (RawClient watcher = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertTrue(watcher.connect(connect("watcher", "watcher", false, null)).sessionPresent());
        assertEquals(List.of(), watcher.topicsUntilQuiet(QUIET), "the will is refused by carol's rules");
      }
    }
  }
}

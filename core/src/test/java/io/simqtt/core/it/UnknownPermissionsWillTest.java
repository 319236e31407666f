package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.session.DueWill;
import io.simqtt.core.session.RecordingSessionStore;
import io.simqtt.core.session.StoredSession;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durable mode: the wills of stored sessions whose delay passed while the node was down come due
 * as it recovers them, while the authorizer fails for their clients (as an HTTP one that is
 * down), so their permissions are unknown. A will is then kept (in the store, as due) until its
 * client's permissions are known, and then goes out, or is dropped (counted) if the rules forbid
 * it; a stop or a kill meanwhile keeps it for the next start. Before, such a will was dropped at
 * once as not authorized, and its subscriber never got it.
 */
class UnknownPermissionsWillTest {
  private static final Duration QUIET = Duration.ofMillis(300);
  /** Before the restart carol may also publish to will/#; the restart finds that taken away. */
  private static final String RULES = """
      user carol
      topic write home/#
      user watcher
      topic read #
      """;
  private static final String RULES_BEFORE = RULES + "user carol\ntopic write will/#\n";

  @TempDir Path dir;

  @AfterEach
  void authorizerUp() {
    FlakyAuthorizer.up();
  }

  @Test
  void aWillDueWhileItsClientsPermissionsAreUnknownGoesOutOnceTheyAreKnown() throws Exception {
    RecordingSessionStore restarted =
        devsWillsDueAtTheRestart(FlakyAuthorizer.config(dir, RULES_BEFORE));
    String config = FlakyAuthorizer.config(dir, RULES);
    FlakyAuthorizer.downFor("dev", false);
    FlakyAuthorizer.downFor("dev2", false);
    try (BrokerFixture f = BrokerFixture.start(config, restarted)) {
      assertEquals(2, uncheckedDueWills(restarted), "kept in the store, unchecked");
      assertEquals(0, f.broker().metrics().drops(DropReason.NOT_AUTHORIZED));

      FlakyAuthorizer.up();
      await("the retry answered, and neither will is kept any more",
          () -> f.broker().permissionRetries().waiting() == 0 && restarted.dueWills().isEmpty());
      assertEquals(List.of("home/will/dev"), watcherReads(f),
          "the will carol may publish goes out once her permissions are known");
      assertEquals(1, f.broker().metrics().drops(DropReason.NOT_AUTHORIZED),
          "the one she may not publish is dropped then");
    }
  }

  /**
   * The node stops while the wills wait, and the next start, from what a kill would have left,
   * finds the authorizer up: the will goes out then.
   */
  @Test
  void aWillWaitingForItsClientsPermissionsOutlivesAStopAndAKill() throws Exception {
    RecordingSessionStore restarted =
        devsWillsDueAtTheRestart(FlakyAuthorizer.config(dir, RULES_BEFORE));
    String config = FlakyAuthorizer.config(dir, RULES);
    FlakyAuthorizer.downFor("dev", false);
    FlakyAuthorizer.downFor("dev2", false);
    try (BrokerFixture f = BrokerFixture.start(config, restarted)) {
      assertEquals(4, f.broker().permissionRetries().waiting(),
          "both sessions wait for their permissions, and so do their wills");
    }
    RecordingSessionStore again = restarted.afterKill();
    assertEquals(2, uncheckedDueWills(again), "the stop left them in the store");

    FlakyAuthorizer.up();
    try (BrokerFixture f = BrokerFixture.start(config, again)) {
      await("neither will is kept any more", () -> again.dueWills().isEmpty());
      assertEquals(List.of("home/will/dev"), watcherReads(f));
      assertEquals(1, f.broker().metrics().drops(DropReason.NOT_AUTHORIZED));
      assertEquals(1, f.broker().metrics().willsSentAgain(), "the dropped one was not sent");
    }
  }

  /**
   * The watcher's session (reading #) and two of carol's, "dev" with a will on home/will/dev and
   * "dev2" with one on will/dev2 (which the rules in force at the restart forbid), both delayed
   * by 30 s, each
   * stored offline as if two minutes ago: the store as a kill left it, whose restart finds both
   * wills due.
   */
  private static RecordingSessionStore devsWillsDueAtTheRestart(String config) {
    RecordingSessionStore store = new RecordingSessionStore();
    try (BrokerFixture f = BrokerFixture.start(config, store)) {
      try (RawClient w = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertEquals(ReasonCode.SUCCESS,
            w.connect(connect("watcher", "watcher", true, null)).reasonCode());
        w.subscribe("#", 1);
        w.disconnect(ReasonCode.NORMAL_DISCONNECTION, MqttProperties.empty());
      }
      storeWithWill(f, store, "dev", "home/will/dev");
      storeWithWill(f, store, "dev2", "will/dev2");
    }
    RecordingSessionStore afterKill = store.afterKill();
    for (String id : List.of("dev", "dev2")) {
      StoredSession s = afterKill.session(id);
      assertNotNull(s.identity());
      afterKill.put(new StoredSession(s.clientId(), s.subscriptions(), s.expiryInterval(),
          s.will(), s.offlineSinceMillis() - 120_000, s.lastPacketId(), s.inboundQos2(),
          s.identity(), s.lineage()));
    }
    return afterKill;
  }

  private static void storeWithWill(
      BrokerFixture f, RecordingSessionStore store, String clientId, String topic) {
    MqttProperties delay = MqttProperties.empty();
    delay.willDelayInterval = 30L;
    MqttPacket.Will will = new MqttPacket.Will(
        topic, "gone".getBytes(StandardCharsets.UTF_8), 1, false, delay);
    try (RawClient dev = RawClient.open(f, MqttVersion.MQTT_5)) {
      assertEquals(ReasonCode.SUCCESS,
          dev.connect(connect(clientId, "carol", true, will)).reasonCode());
      dev.abort();
    }
    await(clientId + " stored offline with its will", () -> store.session(clientId) != null
        && store.session(clientId).offlineSinceMillis() != 0
        && store.session(clientId).will() != null);
  }

  private static long uncheckedDueWills(RecordingSessionStore store) {
    return store.dueWills().stream().map(DueWill::uncheckedFor).filter(w -> w != null).count();
  }

  /** The watcher resumes its session: the topics it gets. */
  private static List<String> watcherReads(BrokerFixture f) {
    try (RawClient w = RawClient.open(f, MqttVersion.MQTT_5)) {
      assertTrue(w.connect(connect("watcher", "watcher", false, null)).sessionPresent());
      return w.topicsUntilQuiet(QUIET);
    }
  }

  private static Connect connect(
      String clientId, String user, boolean cleanStart, MqttPacket.Will will) {
    return new Connect(MqttVersion.MQTT_5, cleanStart, 60, clientId, will, user, null,
        RawClient.sessionExpiry(3600));
  }
}

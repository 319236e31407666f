package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.session.RecordingSessionStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durable mode with an authorizer that fails (as an HTTP one that is down) for a stored
 * session's client when the node recovers it: the session keeps what is routed to it, unchecked
 * and unsent, until its permissions are known, asked again in the background or brought by its
 * client's connection; then what its client may not receive is dropped, and the rest reaches it.
 * Before, it could receive nothing until its client reconnected: what was routed to it meanwhile
 * was dropped as not authorized.
 */
class RecoveryAuthorizerDownTest {
  private static final Duration QUIET = Duration.ofMillis(300);
  private static final String RULES = """
      user alice
      topic read home/#
      topic deny home/secret/#
      user carol
      topic write home/#
      """;

  @TempDir Path dir;
  private String config;

  @AfterEach
  void authorizerUp() {
    FlakyAuthorizer.up();
  }

  /**
   * One queued message on the heap: the second, which the client may not receive, lies on disk
   * and is checked as it is read back.
   */
  @Test
  void whatARecoveredSessionMayReceiveWaitsForTheRetryAndTheRestIsDropped() throws Exception {
    RecordingSessionStore restarted = storedSubscriber();
    FlakyAuthorizer.downFor("sub", true);
    try (BrokerFixture f = BrokerFixture.start(
        config + "mqtt.sessions.queue-memory-messages = 1\n", restarted)) {
      assertEquals(1, f.broker().permissionRetries().waiting());
      publish(f, "home/t", "home/secret/key");
      assertEquals(0, f.broker().metrics().drops(DropReason.NOT_AUTHORIZED),
          "kept while its permissions are unknown");

      FlakyAuthorizer.up();
      await("the retry answered", () -> f.broker().permissionRetries().waiting() == 0);
      assertTrue(f.broker().permissionRetries().retries() >= 1);
      publish(f, "home/secret/2", "home/t2");

      assertEquals(List.of("home/t", "home/t2"), reconnectAndRead(f),
          "what alice may receive reaches her, in order, and only that");
      assertEquals(2, f.broker().metrics().drops(DropReason.NOT_AUTHORIZED));
    }
  }

  @Test
  void aClientConnectingBeforeTheRetryAnswersGetsOnlyWhatItMayReceive() throws Exception {
    RecordingSessionStore restarted = storedSubscriber();
    FlakyAuthorizer.downFor("sub", false);
    try (BrokerFixture f = BrokerFixture.start(config, restarted)) {
      publish(f, "home/secret/key", "home/t");

      assertEquals(List.of("home/t"), reconnectAndRead(f),
          "checked against the permissions her CONNECT brought before anything went out");
      assertEquals(1, f.broker().metrics().drops(DropReason.NOT_AUTHORIZED));
    }
  }

  /**
   * An authorizer that does not answer at recovery (it hangs, as a slow HTTP service does) delays
   * the restart by {@code mqtt.auth.recovery-wait} at most: the listeners open, and the session
   * waits for its permissions as if the authorizer had failed. Before, recovery waited for the
   * answer, and the node did not start while the authorizer hung.
   */
  @Test
  void anAuthorizerThatHangsAtRecoveryDelaysTheStartByTheWaitAtMost() throws Exception {
    RecordingSessionStore restarted = storedSubscriber();
    FlakyAuthorizer.stall();
    CompletableFuture<BrokerFixture> starting = CompletableFuture.supplyAsync(() ->
        BrokerFixture.start(config + "mqtt.auth.recovery-wait = 200ms\n", restarted));
    BrokerFixture started;
    try {
      started = starting.get(10, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      FlakyAuthorizer.up();
      starting.get(10, TimeUnit.SECONDS).close();
      throw new AssertionError("the node did not start while the authorizer hung", e);
    }
    try (BrokerFixture f = started) {
      assertEquals(1, f.broker().permissionRetries().waiting(), "unknown, asked again");
      publish(f, "home/secret/key", "home/t");

      FlakyAuthorizer.up();
      await("the retry answered", () -> f.broker().permissionRetries().waiting() == 0);
      assertEquals(List.of("home/t"), reconnectAndRead(f));
      assertEquals(1, f.broker().metrics().drops(DropReason.NOT_AUTHORIZED));
    }
  }

  /** Stores alice's session "sub" on home/#; returns the store as a kill left it. */
  private RecordingSessionStore storedSubscriber() throws Exception {
    config = FlakyAuthorizer.config(dir, RULES);
    RecordingSessionStore store = new RecordingSessionStore();
    try (BrokerFixture f = BrokerFixture.start(config, store)) {
      try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertEquals(ReasonCode.SUCCESS, c.connect(connect("sub", "alice", true)).reasonCode());
        c.subscribe("home/#", 1);
        c.disconnect(ReasonCode.NORMAL_DISCONNECTION, MqttProperties.empty());
      }
      await("the session stored offline", () -> store.session("sub") != null
          && store.session("sub").offlineSinceMillis() != 0);
    }
    return store.afterKill();
  }

  private static Connect connect(String clientId, String user, boolean cleanStart) {
    return new Connect(MqttVersion.MQTT_5, cleanStart, 60, clientId, null, user, null,
        RawClient.sessionExpiry(3600));
  }

  /** carol publishes one QoS 1 message to each topic, in order. */
  private static void publish(BrokerFixture f, String... topics) {
    try (RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
      assertEquals(ReasonCode.SUCCESS, pub.connect(connect("pub", "carol", true)).reasonCode());
      for (String topic : topics) {
        pub.publish(topic, 1, false, bytes("m"));
        // Taken before the socket goes: a close with answers unread resets the connection, and
        // the broker's side may drop what it had not read yet.
        pub.expect(PubResponse.class, Duration.ofSeconds(10));
      }
    }
  }

  /** alice resumes "sub": the topics of what she gets. */
  private static List<String> reconnectAndRead(BrokerFixture f) {
    try (RawClient sub = RawClient.open(f, MqttVersion.MQTT_5)) {
      assertTrue(sub.connect(connect("sub", "alice", false)).sessionPresent());
      return sub.topicsUntilQuiet(QUIET);
    }
  }
}

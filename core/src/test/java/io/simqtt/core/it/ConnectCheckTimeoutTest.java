package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.hiveConnected;
import static io.simqtt.core.it.Clients.inbox;
import static io.simqtt.core.it.Clients.take;
import static io.simqtt.core.it.Clients.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.simqtt.core.cluster.ClaimResult;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.HangingAuthPlugin.Question;
import io.simqtt.core.session.RecordingCluster;
import io.simqtt.core.session.SessionStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A CONNECT whose authenticator or authorizer plug-in hangs rather than fails: its check is
 * bounded by {@code mqtt.limits.connect-timeout}, as the attach's read of the disk is.
 */
class ConnectCheckTimeoutTest {
  @TempDir Path dir;

  @AfterEach
  void release() {
    HangingAuthPlugin.release();
  }

  /**
   * One check thread and one place in its queue. alice is connected, subscribed; a takeover of
   * her session (clean start) hangs in the plug-in: past the timeout the client gets CONNACK
   * 0x88 (3.1.1: 3), the connection closes, counted, and the plug-in's thread is interrupted. A
   * check waiting behind it in the queue is given up too, and leaves the queue: the next CONNECT
   * finds room there (not 0x89). Once the plug-in answers (it ignored the interrupt), the refused
   * CONNECT changes nothing: alice stays connected with her subscription, and no claim was made
   * for it. Before, the connection was closed at the timeout without a CONNACK, the plug-in went
   * on unbounded, and its late "allow" took alice's session over.
   */
  @ParameterizedTest
  @EnumSource(Question.class)
  void aCheckThatHangsIsAnsweredServerUnavailableAndItsLateAnswerChangesNothing(Question q)
      throws Exception {
    ClaimCountingCluster cluster = new ClaimCountingCluster();
    String config = HangingAuthPlugin.config(dir) + """
        mqtt.sys.interval = 0
        mqtt.limits.connect-timeout = 500ms
        mqtt.auth { threads = 1, max-pending = 1, failure-delay = 0 }
        """;
    try (BrokerFixture f = BrokerFixture.start(config, SessionStore.MEMORY, cluster)) {
      Mqtt5BlockingClient alice = hiveConnected(f, "alice");
      BlockingQueue<Mqtt5Publish> received = inbox(alice);
      alice.subscribeWith().topicFilter("t").qos(MqttQos.AT_LEAST_ONCE).send();
      HangingAuthPlugin.hang("alice", q);

      assertRefusedServerUnavailable(f, MqttVersion.MQTT_5, "alice");
      await("the plug-in's thread interrupted", () -> HangingAuthPlugin.interrupted() > 0);
      // Queued behind the check that still holds the one thread, then given up.
      assertRefusedServerUnavailable(f, MqttVersion.MQTT_3_1_1, "alice");
      assertRefusedServerUnavailable(f, MqttVersion.MQTT_5, "bob");
      assertEquals(1, HangingAuthPlugin.hung(), "the checks given up in the queue never ran");
      assertEquals(3, f.broker().metrics().authChecksGivenUp());
      assertEquals(3, f.broker().metrics().connectsRefused(ReasonCode.SERVER_UNAVAILABLE));

      assertTheLateAnswerChangesNothing(f, cluster, alice, received);
    }
  }

  /**
   * A client that closes while its check hangs (it gave up waiting): the check is given up at
   * once, well within the timeout, its thread interrupted, and its late answer changes nothing.
   * Before, it held the thread until the plug-in answered, then took alice's session over.
   */
  @ParameterizedTest
  @EnumSource(Question.class)
  void aClientClosingWhileItsCheckHangsGivesTheCheckUp(Question q) throws Exception {
    ClaimCountingCluster cluster = new ClaimCountingCluster();
    String config = HangingAuthPlugin.config(dir) + """
        mqtt.sys.interval = 0
        mqtt.limits.connect-timeout = 1h
        mqtt.auth { threads = 1, failure-delay = 0 }
        """;
    try (BrokerFixture f = BrokerFixture.start(config, SessionStore.MEMORY, cluster)) {
      Mqtt5BlockingClient alice = hiveConnected(f, "alice");
      BlockingQueue<Mqtt5Publish> received = inbox(alice);
      alice.subscribeWith().topicFilter("t").qos(MqttQos.AT_LEAST_ONCE).send();
      HangingAuthPlugin.hang("alice", q);
      try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
        c.send(new Connect(MqttVersion.MQTT_5, true, 60, "alice", null, null, null,
            RawClient.sessionExpiry(0)));
        await("the plug-in asked", () -> HangingAuthPlugin.hung() == 1);
      }
      await("the plug-in's thread interrupted", () -> HangingAuthPlugin.interrupted() > 0);

      assertEquals(0, f.broker().metrics().authChecksGivenUp(), "not a timeout");
      assertTheLateAnswerChangesNothing(f, cluster, alice, received);
    }
  }

  /**
   * Lets the hanging plug-in answer, then checks that alice, connected and subscribed to "t"
   * before her second CONNECT hung, still has her connection and subscription and was claimed
   * once: the late answer was dropped. Bob's CONNECT is checked on the one check thread after the
   * late answer, so it comes after it.
   */
  private static void assertTheLateAnswerChangesNothing(BrokerFixture f,
      ClaimCountingCluster cluster, Mqtt5BlockingClient alice,
      BlockingQueue<Mqtt5Publish> received) throws InterruptedException {
    HangingAuthPlugin.release();
    await("the plug-in answered", () -> HangingAuthPlugin.returned() == 1);
    Mqtt5BlockingClient bob = hiveConnected(f, "bob");
    bob.publishWith().topic("t").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("after")).send();

    assertEquals("after", text(take(received)), "alice's session kept her subscription");
    assertTrue(alice.getState().isConnected(), "alice's connection was not taken over");
    assertEquals(1, cluster.claims("alice"), "only alice's own CONNECT claimed her session");
    bob.disconnect();
    alice.disconnect();
  }

  static void assertRefusedServerUnavailable(
      BrokerFixture f, MqttVersion version, String clientId) {
    try (RawClient c = RawClient.open(f, version)) {
      ConnAck ack = c.connect(new Connect(version, true, 60, clientId, null, null, null,
          version.isV5() ? RawClient.sessionExpiry(0) : MqttProperties.empty()));
      // 3.1.1: decoded back from return code 3 (server unavailable).
      assertEquals(ReasonCode.SERVER_UNAVAILABLE, ack.reasonCode(), clientId + " " + version);
      assertFalse(ack.sessionPresent());
      assertTrue(c.closedWithin(Duration.ofSeconds(5)), "a refused connection is closed");
    }
  }

  /** A cluster in which no other node holds any client, counting claims per client id. */
  private static final class ClaimCountingCluster extends RecordingCluster {
    private final Map<String, AtomicInteger> claims = new ConcurrentHashMap<>();

    int claims(String clientId) {
      AtomicInteger n = claims.get(clientId);
      return n == null ? 0 : n.get();
    }

    @Override
    public CompletableFuture<ClaimResult> claim(
        String clientId, boolean cleanStart, boolean keepsSession) {
      claims.computeIfAbsent(clientId, k -> new AtomicInteger()).incrementAndGet();
      return super.claim(clientId, cleanStart, keepsSession);
    }
  }
}

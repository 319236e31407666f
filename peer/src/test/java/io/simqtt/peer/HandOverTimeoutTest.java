package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.Clients;
import io.simqtt.core.it.RawClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * n1 holds an offline session with queued messages and a will; the client connects to n2, n1
 * freezes the session and sends its state, and nothing n1 sends reaches n2 any more (one way
 * black-holed): the claimer has vanished for n1, which hears no settle. On manual time, with a
 * keep-alive long enough that the hand-over timeout, not the link's loss, decides.
 *
 * <p>Until {@code hand-over-timeout} the session stays frozen (its messages are with the hand-over);
 * past it, n1 resumes the session with its queued messages and its will.
 */
@Timeout(60)
class HandOverTimeoutTest {
  private static final int A = 0;
  private static final int B = 1;
  private static final String CLIENT = "ho-x";
  private static final String TOPIC = "ho/t";
  private static final String WILL_TOPIC = "ho/will";
  private static final int QUEUED = 5;
  private static final Duration CLAIM_TIMEOUT = Duration.ofSeconds(3);
  private static final Duration HAND_OVER_TIMEOUT = Duration.ofSeconds(10);

  private ClusterFixture cluster;

  @BeforeEach
  void start() {
    cluster = ClusterFixture.startInProcess(2, "cluster.keep-alive-timeout = 30s");
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void theHolderResumesWithItsMessagesAndWillOnceTheHandOverTimesOut() {
    try (RawClient watcher = cluster.raw(A, MqttVersion.MQTT_5)) {
      watcher.connect("ho-watcher");
      assertEquals(List.of(1), watcher.subscribe(WILL_TOPIC, 1));
      offlineSessionWithWillAndQueuedMessagesOnN1();

      cluster.network().blackHoleOneWay("n1", "n2");
      long lost = cluster.network().swallowed();
      try (RawClient onB = cluster.raw(B, MqttVersion.MQTT_5)) {
        onB.send(RawClient.connectPacket(
            MqttVersion.MQTT_5, CLIENT, false, 600, RawClient.sessionExpiry(3600)));
        // n1 froze the session and sent its state, into the black hole.
        await(ClusterFixture.WAIT, () -> cluster.network().swallowed() > lost,
            () -> "n1 answered the claim");
        cluster.advance(CLAIM_TIMEOUT);
        onB.expectConnAck(ReasonCode.SERVER_UNAVAILABLE);
      }

      cluster.advance(HAND_OVER_TIMEOUT.minus(CLAIM_TIMEOUT).minusSeconds(1));
      assertEquals(0, cluster.queuedAt(A, CLIENT),
          "frozen until hand-over-timeout: its messages are with the hand-over");
      cluster.advance(Duration.ofSeconds(2));
      await(ClusterFixture.WAIT, () -> cluster.queuedAt(A, CLIENT) == QUEUED,
          () -> "n1 resumed the session with its " + QUEUED + " messages; queued "
              + cluster.queuedAt(A, CLIENT));

      // A clean start ends the resumed session: its will goes out. (Healed first: a connect
      // asks every linked peer, and n2 hears nothing from n1 yet.)
      cluster.heal(A, B);
      cluster.awaitHealed(ClusterFixture.WAIT);
      try (RawClient again = cluster.raw(A, MqttVersion.MQTT_5)) {
        again.connect(CLIENT, true, 600, null);
        MqttPacket.Publish will = watcher.expect(MqttPacket.Publish.class);
        assertEquals("ho-will", new String(will.payload(), StandardCharsets.UTF_8));
      }
    }
  }

  /** ho-x subscribes on n1 with a will, drops its connection, and messages queue for it there. */
  private void offlineSessionWithWillAndQueuedMessagesOnN1() {
    MqttProperties willProps = MqttProperties.empty();
    willProps.willDelayInterval = 3600L;
    MqttPacket.Connect connect = RawClient.withWill(
        RawClient.connectPacket(MqttVersion.MQTT_5, CLIENT, true, 600,
            RawClient.sessionExpiry(3600)),
        new MqttPacket.Will(WILL_TOPIC, bytes("ho-will"), 1, false, willProps));
    try (RawClient x = cluster.raw(A, MqttVersion.MQTT_5)) {
      assertEquals(ReasonCode.SUCCESS, x.connect(connect).reasonCode());
      assertEquals(List.of(1), x.subscribe(TOPIC, 1));
      x.abort();
    }
    await(ClusterFixture.WAIT, () -> cluster.queuedAt(A, CLIENT) == 0,
        () -> "n1 holds the offline session");
    Mqtt5BlockingClient pub = ClusterClients.connect(cluster, A, "ho-pub");
    for (int i = 0; i < QUEUED; i++) {
      pub.publishWith().topic(TOPIC).qos(MqttQos.AT_LEAST_ONCE).payload(bytes("ho-" + i)).send();
    }
    Clients.disconnectQuietly(pub);
    await(ClusterFixture.WAIT, () -> cluster.queuedAt(A, CLIENT) == QUEUED,
        () -> QUEUED + " queued on n1, have " + cluster.queuedAt(A, CLIENT));
  }
}

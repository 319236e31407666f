package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.Clients;
import io.simqtt.core.it.RawClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * n1 holds a connected client's persistent session and goes silent towards n2 (both directions
 * black-holed); the client connects to n2 as well. In-process links on manual time, so every
 * timeout below is crossed by advancing the clock, not by waiting.
 *
 * <ul>
 *   <li>Within {@code claim-timeout} the claim for the session waits for n1, and then the CONNECT
 *       is refused with 0x88: n1 may hold the session.
 *   <li>Once n1 is found down, and until {@code dead-after} has passed, CONNECTs are refused
 *       (0x88) at once.
 *   <li>Past dead-after n1 counts as dead: the client gets a fresh session on n2.
 *   <li>When the partition heals, one owner is left: n1's session is the older, so its
 *       connection gets DISCONNECT 0x8E, n1 keeps no copy, and a message published on n1
 *       reaches the client on n2.
 * </ul>
 *
 * {@link PartitionedHolderTest} is the same story over TCP proxies and real time.
 */
@Timeout(60)
class SilentHolderTest {
  private static final int A = 0;
  private static final int B = 1;
  private static final String CLIENT = "sh-x";
  private static final String TOPIC = "sh/t";
  private static final Duration CLAIM_TIMEOUT = Duration.ofSeconds(3);
  /** From the partition until both sides found the link down (heartbeats): at most 7 s. */
  private static final Duration FOUND_DOWN = Duration.ofSeconds(7);
  private static final Duration DEAD_AFTER = Duration.ofSeconds(30);

  private ClusterFixture cluster;

  @BeforeEach
  void start() {
    cluster = ClusterFixture.startInProcess(2, "");
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void refusedWhileTheHolderMayBeAliveFreshAfterDeadAfterOneOwnerAfterTheHeal() {
    try (RawClient onA = cluster.raw(A, MqttVersion.MQTT_5)) {
      onA.connect(CLIENT, true, 600, RawClient.sessionExpiry(3600));
      assertEquals(List.of(1), onA.subscribe(TOPIC, 1));
      cluster.partition(A, B);

      // n2 still sees its link to n1 up: the claim goes out and waits for an answer.
      try (RawClient onB = cluster.raw(B, MqttVersion.MQTT_5)) {
        long lost = cluster.network().swallowed();
        onB.send(connectPacket());
        // The claim is on its way (into the black hole) before the clock moves.
        await(ClusterFixture.WAIT, () -> cluster.network().swallowed() > lost,
            () -> "n2's claim sent to n1");
        cluster.advance(CLAIM_TIMEOUT);
        onB.expectConnAck(ReasonCode.SERVER_UNAVAILABLE);
      }
      // Found down, not dead: refused without waiting for anything.
      cluster.advance(FOUND_DOWN.minus(CLAIM_TIMEOUT));
      assertFalse("UP".equals(cluster.cluster(B).linkStates().get("n1")),
          "n2 found n1 down: " + cluster.linkStates());
      refusedOnB();
      // Still inside dead-after, counted from when n2 found n1 down (after the partition).
      cluster.advance(DEAD_AFTER.minus(FOUND_DOWN).plus(CLAIM_TIMEOUT));
      refusedOnB();

      cluster.advance(FOUND_DOWN.minus(CLAIM_TIMEOUT).plusSeconds(1));
      try (RawClient onB = cluster.raw(B, MqttVersion.MQTT_5)) {
        ConnAck fresh = onB.connect(connectPacket());
        assertEquals(ReasonCode.SUCCESS, fresh.reasonCode(), "a session on n2 after dead-after");
        assertFalse(fresh.sessionPresent(), "n1's session did not come with it");
        assertEquals(List.of(1), onB.subscribe(TOPIC, 1));

        cluster.heal(A, B);
        cluster.awaitHealed(ClusterFixture.WAIT);
        // The older session yields to the newer: one owner.
        onA.expectDisconnect(ReasonCode.SESSION_TAKEN_OVER);
        await(ClusterFixture.WAIT, () -> cluster.queuedAt(A, CLIENT) == -1,
            () -> "n1 keeps no copy of the session");

        Mqtt5BlockingClient pub = ClusterClients.connect(cluster, A, "sh-pub");
        pub.publishWith().topic(TOPIC).qos(MqttQos.AT_LEAST_ONCE).payload(bytes("after-heal"))
            .send();
        Clients.disconnectQuietly(pub);
        List<String> got =
            ClusterClients.payloads(ClusterClients.receiveAndAck(onB, ClusterClients.QUIET));
        // n1's yielded session redirects for redirect-time what n1's router still gives it while
        // n2's route gets its own copy; n2's session drops the second: its window opened when
        // n1's stream came back, before anything n1 sent on it was handled.
        assertEquals(List.of("after-heal"), got, "the client on n2 gets it once");
      }
    }
  }

  private void refusedOnB() {
    try (RawClient onB = cluster.raw(B, MqttVersion.MQTT_5)) {
      onB.send(connectPacket());
      onB.expectConnAck(ReasonCode.SERVER_UNAVAILABLE);
    }
  }

  private static MqttPacket.Connect connectPacket() {
    return RawClient.connectPacket(
        MqttVersion.MQTT_5, CLIENT, false, 600, RawClient.sessionExpiry(3600));
  }
}

package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.RawClient;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A CONNECT whose session claim is not answered within {@code mqtt.limits.connect-timeout}. In a
 * cluster whose settings pass the config check ({@code cluster.claim-timeout} below the connect
 * timeout) that is a claim still receiving a large session; here the claim's own timeout runs
 * on manual time, which the test does not move, so a claim into a partition stands in for it,
 * while the connection's timeout runs on real time.
 */
@Timeout(60)
class UnansweredClaimTest {
  private static final int A = 0;
  private static final int B = 1;
  private static final String CLIENT = "uc-x";

  private ClusterFixture cluster;

  @BeforeEach
  void start() {
    cluster = ClusterFixture.startInProcess(2, """
        mqtt.limits.connect-timeout = 1s
        cluster.claim-timeout = 500ms
        """);
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  /**
   * n2 claims a new client's session while n1 hears nothing from it: past the connect timeout the
   * client gets CONNACK 0x88, the connection closes, counted, and the claim is given up. When the
   * partition heals, n2 finds its link to n1 was down, which answers the claim (nobody held the
   * client): nothing attaches, and n2 keeps no session for a client that is gone. Before, the
   * connection was closed at the timeout without a CONNACK, and the answer made a session for it
   * (kept its Session Expiry Interval, an hour).
   */
  @Test
  void aClaimPastTheConnectTimeoutIsRefusedAndItsLateAnswerMakesNoSession() {
    cluster.partition(A, B);
    try (RawClient c = cluster.raw(B, MqttVersion.MQTT_5)) {
      long lost = cluster.network().swallowed();
      c.send(RawClient.connectPacket(
          MqttVersion.MQTT_5, CLIENT, true, 60, RawClient.sessionExpiry(3600)));
      await(ClusterFixture.WAIT, () -> cluster.network().swallowed() > lost,
          () -> "n2's claim sent to n1");
      c.expectConnAck(ReasonCode.SERVER_UNAVAILABLE);
      assertTrue(c.closedWithin(Duration.ofSeconds(5)), "a refused connection is closed");
    }
    assertEquals(1, cluster.broker(B).metrics().claimsGivenUp());

    cluster.heal(A, B);
    await(ClusterFixture.WAIT, () -> !"UP".equals(cluster.cluster(B).linkStates().get("n1")),
        () -> "n2 found its link to n1 down: " + cluster.linkStates());
    cluster.awaitHealed(ClusterFixture.WAIT);
    assertEquals(-1, cluster.queuedAt(B, CLIENT), "no session on n2 for the refused connect");
    assertNull(cluster.broker(B).sessions().get(CLIENT), "nor a registry entry");
  }
}

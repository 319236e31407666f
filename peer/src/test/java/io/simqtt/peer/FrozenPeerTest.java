package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.RawClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.opentest4j.AssertionFailedError;

/**
 * n3 freezes (every link to and from it black-holed: its TCP connections stay open and silent,
 * no RST, as when the process is SIGSTOPped or the host drops off the network). Over real TCP
 * and real time: the other nodes notice within seconds and new clients connect at once.
 * {@link PeerHeartbeatTest} shows the rest on manual time (exactly when the peer counts as down,
 * shared groups skipping it, its routes withdrawn after dead-after).
 */
@Timeout(90)
class FrozenPeerTest {
  private static final int A = 0;
  private static final int C = 2;
  /** How soon a silent peer must be reported not UP. */
  private static final Duration DETECTION = Duration.ofSeconds(10);
  /** A clean-start CONNECT must not wait for a peer already known to be gone. */
  private static final Duration FAST_CONNECT = Duration.ofSeconds(1);

  private ClusterFixture cluster;

  @BeforeEach
  void start() {
    cluster = ClusterFixture.startProxied(3, "");
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void aNewClientConnectsToN1WithinASecondOnceN3IsKnownFrozen() {
    cluster.isolate(C);
    boolean detected = frozenReported(C, DETECTION);
    long t0 = System.nanoTime();
    ConnAck ack;
    try (RawClient c = cluster.raw(A, MqttVersion.MQTT_5)) {
      ack = c.connect(RawClient.connectPacket(MqttVersion.MQTT_5, "fz-new", true, 60, null));
    }
    long connAckMillis = millisSince(t0);
    String summary = "n3 reported not UP within " + DETECTION + ": " + detected
        + "; clean-start CONNACK " + RawClient.hex(ack.reasonCode()) + " on n1 after "
        + connAckMillis + " ms; link states " + cluster.linkStates();
    System.out.println("FrozenPeerTest connect: " + summary);
    assertAll(summary,
        () -> assertTrue(detected, "n3 reported not UP"),
        () -> assertEquals(ReasonCode.SUCCESS, ack.reasonCode(), "CONNACK reason"),
        () -> assertTrue(connAckMillis < FAST_CONNECT.toMillis(),
            "CONNACK within " + FAST_CONNECT + ", took " + connAckMillis + " ms"));
  }

  /**
   * Whether every other node reports {@code frozen}'s link not UP within {@code bound}. Not an
   * assertion, so a test can go on and report what else it sees.
   */
  private boolean frozenReported(int frozen, Duration bound) {
    try {
      await(bound, () -> {
        for (int i = 0; i < cluster.size(); i++) {
          if (i != frozen) {
            Map<String, String> states = cluster.cluster(i).linkStates();
            if ("UP".equals(states.get(ClusterFixture.nodeId(frozen)))) {
              return false;
            }
          }
        }
        return true;
      }, () -> "link to " + ClusterFixture.nodeId(frozen) + " not UP");
      return true;
    } catch (AssertionFailedError e) {
      return false;
    }
  }

  private static long millisSince(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }
}

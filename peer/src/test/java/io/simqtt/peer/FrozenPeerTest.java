package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.peer.ClusterClients.connect;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.Clients;
import io.simqtt.core.it.RawClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.opentest4j.AssertionFailedError;

/**
 * n3 freezes (every link to and from it black-holed: its TCP connections stay open and silent,
 * no RST, as when the process is SIGSTOPped or the host drops off the network). The other nodes
 * must notice within seconds and stop waiting for it: new clients connect at once, and a shared
 * group's member on n3 stops being chosen.
 */
@Timeout(90)
class FrozenPeerTest {
  private static final int A = 0;
  private static final int B = 1;
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
  void n1AndN2ReportTheFrozenN3NotUpWithin10s() {
    cluster.isolate(C);
    long t0 = System.nanoTime();
    boolean detected = frozenReported(C, DETECTION);
    System.out.println("FrozenPeerTest detection: " + (detected
        ? "after " + millisSince(t0) + " ms" : "not within " + DETECTION) + "; "
        + cluster.linkStates());
    assertTrue(detected, "n1 and n2 report n3's link not UP within " + DETECTION
        + "; link states " + cluster.linkStates());
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

  @Test
  void aSharedGroupWithMembersOnN2AndN3GetsEverythingOnN2OnceN3IsKnownFrozen() {
    String topic = "fz/shared";
    String filter = "$share/fz/" + topic;
    int messages = 50;
    try (RawClient onB = cluster.raw(B, MqttVersion.MQTT_5);
        RawClient onC = cluster.raw(C, MqttVersion.MQTT_5)) {
      onB.connect("fz-member-b");
      onB.subscribe(filter, 1);
      onC.connect("fz-member-c");
      onC.subscribe(filter, 1);
      cluster.awaitRoute(A, topic, B);
      cluster.awaitRoute(A, topic, C);

      cluster.isolate(C);
      boolean detected = frozenReported(C, DETECTION);
      Mqtt5BlockingClient pub = connect(cluster, A, "fz-pub");
      List<Integer> acked = new ArrayList<>();
      for (int i = 0; i < messages; i++) {
        pub.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(bytes("fz-" + i))
            .send();
        acked.add(i); // send() returns once PUBACKed, and throws on an error reason code
      }
      Clients.disconnectQuietly(pub);

      TreeSet<Integer> got =
          ClusterClients.receiveNumbered(onB, "fz-", messages, Duration.ofSeconds(3));
      List<Integer> missing = new ArrayList<>(acked);
      missing.removeAll(got);
      String summary = "n3 reported not UP within " + DETECTION + ": " + detected
          + "; the member on n2 got " + got.size() + " of " + acked.size()
          + " PUBACKed messages, missing " + Receipts.brief(missing);
      System.out.println("FrozenPeerTest shared: " + summary);
      assertAll(summary,
          () -> assertTrue(detected, "n3 reported not UP"),
          () -> assertTrue(missing.isEmpty(), "every message reached the member on n2"));
    }
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

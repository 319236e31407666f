package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
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
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.opentest4j.AssertionFailedError;

/**
 * A persistent session waits on n1 with queued QoS 1 messages; n1 and n2 are partitioned (n3
 * still reaches both); the client connects to n2.
 *
 * <ul>
 *   <li>While n1 may still be alive (silent, then found down by heartbeats, but not yet declared
 *       dead), n2 must not quietly start a fresh session (CONNACK success with Session Present
 *       0: the client would believe its subscriptions and messages gone while n1 keeps them): it
 *       refuses with 0x88 (Server unavailable), or hands out Session Present 1 with the
 *       messages.
 *   <li>Once n1 is declared dead ({@code cluster.dead-after}, 8 s here) it is not waited for:
 *       the client gets a session on n2 and subscribes again, as a client told Session Present
 *       0 does.
 *   <li>After the heal n1 comes back holding the older session: it hands its queued messages to
 *       n2, which keeps the client, and holds no second copy. The client, back on n2, gets
 *       Session Present 1 and every message.
 * </ul>
 */
@Timeout(120)
class PartitionedHolderTest {
  private static final int A = 0;
  private static final int B = 1;
  private static final String CLIENT = "ph-x";
  private static final String TOPIC = "ph/t";
  private static final int QUEUED = 20;
  private static final long SESSION_EXPIRY = 3600;
  /** A node may hold the CONNECT while it asks n1; longer than that is a hang. */
  private static final Duration CONNACK_WAIT = Duration.ofSeconds(20);

  private ClusterFixture cluster;

  @BeforeEach
  void start() {
    cluster = ClusterFixture.startProxied(3, "cluster.dead-after = 8s");
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void n2RefusesWhileTheHolderMayBeAliveAndGetsItsMessagesWhenThePartitionHeals() {
    sessionWithQueuedMessagesOnN1();
    List<String> problems = new ArrayList<>();
    List<String> seen = new ArrayList<>();

    long partitioned = System.nanoTime();
    cluster.partition(A, B);
    // At once, while n2's link to n1 still looks UP: n1 may hold the session.
    connectOnN2WhileN1MayBeAlive("right after the partition", seen, problems);
    assertTrue(linkNotUp(B, A, Duration.ofSeconds(10)), "n2 finds n1 down within 10 s");
    // Down is not dead: n1 may be frozen or cut off, with the session.
    connectOnN2WhileN1MayBeAlive("n1 found down", seen, problems);

    // Declared dead after dead-after: then the client gets a session on n2 at last.
    ConnAck fresh = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (fresh == null && System.nanoTime() < deadline) {
      try (RawClient x = cluster.raw(B, MqttVersion.MQTT_5)) {
        ConnAck ack = x.connect(connectPacket());
        if (ack.reasonCode() == ReasonCode.SUCCESS) {
          fresh = ack;
          if (!ack.sessionPresent()) {
            assertEquals(List.of(1), x.subscribe(TOPIC, 1));
          }
          x.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
          assertTrue(x.closedWithin(Duration.ofSeconds(3)));
        }
      }
    }
    long afterMillis = (System.nanoTime() - partitioned) / 1_000_000;
    seen.add("n1 declared dead: a session on n2 after " + afterMillis + " ms");
    assertTrue(fresh != null, "a session on n2 once n1 is declared dead");
    assertTrue(afterMillis >= 8_000, "not before dead-after (8 s): " + afterMillis + " ms");

    cluster.heal(A, B);
    cluster.awaitHealed(ClusterFixture.WAIT);
    await(ClusterFixture.WAIT, () -> cluster.queuedAt(A, CLIENT) == -1,
        () -> "n1 gives up its copy of the session after the heal; it still queues "
            + cluster.queuedAt(A, CLIENT));
    try (RawClient x = cluster.raw(B, MqttVersion.MQTT_5)) {
      ConnAck ack = x.connect(connectPacket());
      TreeSet<Integer> got = ack.reasonCode() == ReasonCode.SUCCESS
          ? ClusterClients.receiveNumbered(x, "ph-", QUEUED, Duration.ofSeconds(2))
          : new TreeSet<>();
      seen.add("after heal: CONNACK " + RawClient.hex(ack.reasonCode()) + " session present "
          + ack.sessionPresent() + ", " + got.size() + " of " + QUEUED + " messages");
      if (ack.reasonCode() != ReasonCode.SUCCESS || !ack.sessionPresent()
          || got.size() != QUEUED) {
        problems.add("after heal the session must come with all " + QUEUED + " messages");
      }
    }

    String summary = String.join("; ", seen);
    System.out.println("PartitionedHolderTest: " + summary);
    assertTrue(problems.isEmpty(), summary + "\n" + String.join("\n", problems));
  }

  /** ph-x subscribes on n1, goes offline, and {@value #QUEUED} QoS 1 messages queue for it there. */
  private void sessionWithQueuedMessagesOnN1() {
    try (RawClient x = cluster.raw(A, MqttVersion.MQTT_5)) {
      x.connect(CLIENT, true, 60, RawClient.sessionExpiry(SESSION_EXPIRY));
      assertEquals(List.of(1), x.subscribe(TOPIC, 1));
      x.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
      assertTrue(x.closedWithin(Duration.ofSeconds(3)));
    }
    Mqtt5BlockingClient pub = ClusterClients.connect(cluster, A, "ph-pub");
    for (int i = 0; i < QUEUED; i++) {
      pub.publishWith().topic(TOPIC).qos(MqttQos.AT_LEAST_ONCE).payload(bytes("ph-" + i)).send();
    }
    Clients.disconnectQuietly(pub);
    await(ClusterFixture.WAIT, () -> cluster.queuedAt(A, CLIENT) == QUEUED,
        () -> QUEUED + " queued on n1, have " + cluster.queuedAt(A, CLIENT));
  }

  /**
   * One CONNECT (clean start 0) on n2 while n1 is cut off from it but not found dead. A refusal
   * (0x88) is fine; Session Present 1 is fine if the messages come with it; success with Session
   * Present 0 is the bug. No CONNACK at all within {@link #CONNACK_WAIT} is a hang.
   */
  private void connectOnN2WhileN1MayBeAlive(
      String when, List<String> seen, List<String> problems) {
    try (RawClient x = cluster.raw(B, MqttVersion.MQTT_5)) {
      long t0 = System.nanoTime();
      x.send(connectPacket());
      MqttPacket p = x.read(CONNACK_WAIT);
      long millis = (System.nanoTime() - t0) / 1_000_000;
      if (!(p instanceof ConnAck ack)) {
        seen.add(when + ": no CONNACK in " + millis + " ms (" + p + ")");
        problems.add(when + ": no CONNACK within " + CONNACK_WAIT);
        return;
      }
      String outcome = "CONNACK " + RawClient.hex(ack.reasonCode()) + " session present "
          + ack.sessionPresent() + " after " + millis + " ms";
      if (ack.reasonCode() != ReasonCode.SUCCESS) {
        seen.add(when + ": " + outcome + " (refused: acceptable)");
        return;
      }
      if (!ack.sessionPresent()) {
        seen.add(when + ": " + outcome);
        problems.add(when + ": a fresh session (" + outcome + ") while n1 may hold it");
      } else {
        TreeSet<Integer> got =
            ClusterClients.receiveNumbered(x, "ph-", QUEUED, Duration.ofSeconds(2));
        seen.add(when + ": " + outcome + ", " + got.size() + " of " + QUEUED + " messages");
        if (got.size() != QUEUED) {
          problems.add(when + ": Session Present 1 but " + got.size() + " of " + QUEUED
              + " queued messages");
        }
      }
      x.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
      x.closedWithin(Duration.ofSeconds(3));
    }
  }

  private static MqttPacket.Connect connectPacket() {
    return RawClient.connectPacket(
        MqttVersion.MQTT_5, CLIENT, false, 60, RawClient.sessionExpiry(SESSION_EXPIRY));
  }

  /** Whether node {@code at} reports its link to {@code peer} not UP within {@code bound}. */
  private boolean linkNotUp(int at, int peer, Duration bound) {
    try {
      await(bound, () -> !"UP".equals(
              cluster.cluster(at).linkStates().get(ClusterFixture.nodeId(peer))),
          () -> ClusterFixture.nodeId(at) + " reports " + ClusterFixture.nodeId(peer) + " not UP");
      return true;
    } catch (AssertionFailedError e) {
      return false;
    }
  }
}

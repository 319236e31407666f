package io.simqtt.peer;

import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttPacket.Disconnect;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.Clients;
import io.simqtt.core.it.RawClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node holding a persistent session (n1) drops off the network in the kernel: every packet
 * between it and the other nodes vanishes, no RST, no ICMP, established TCP connections stay
 * open and silent, retransmissions pile up. Its client, cut off from it too as far as it knows,
 * reconnects to n2. {@link PartitionedHolderTest} does this with user-space proxies; here the
 * kernel does it, to node processes.
 *
 * <ul>
 *   <li>While n1 may be alive (until {@code cluster.dead-after}, 6 s here) n2 refuses the CONNECT
 *       with 0x88 (Server unavailable), never a fresh session (Session Present 0).
 *   <li>Healed before dead-after: the session comes to n2 whole, with every message queued on n1.
 *   <li>Not healed: once n1 is declared dead the client gets a fresh session on n2 (not before);
 *       when n1 comes back it gives its copy up: its own connection of that client is told 0x8E
 *       (Session taken over), the one on n2 stays, and every message acknowledged to a publisher
 *       reaches it.
 * </ul>
 */
@Timeout(120)
@Tag("netns")
class NetnsHolderBlackHoleTest {
  private static final int A = 0;
  private static final int B = 1;
  private static final int C = 2;
  private static final Duration DEAD_AFTER = Duration.ofSeconds(6);
  private static final String HOCON = "cluster.keep-alive-interval = 500ms\n"
      + "cluster.keep-alive-timeout = 1s\n"
      + "cluster.claim-timeout = 1s\n"
      + "cluster.dead-after = " + DEAD_AFTER.toSeconds() + "s\n";
  /** claim-timeout and a busy machine; longer than that is a hang. */
  private static final Duration CONNACK_WAIT = Duration.ofSeconds(5);
  private static final long SESSION_EXPIRY = 3600;
  private static final int QUEUED = 20;

  @TempDir Path dir;
  private NetnsCluster cluster;

  @BeforeEach
  void start() throws Exception {
    cluster = NetnsCluster.start(3, dir, HOCON);
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void refusedWhileTheHolderMayBeAliveAndWholeAfterAHealBeforeDeadAfter() throws Exception {
    String client = "bh-heal";
    String topic = "bh/heal";
    try (RawClient x = cluster.raw(A, MqttVersion.MQTT_5)) {
      x.connect(client, true, 60, RawClient.sessionExpiry(SESSION_EXPIRY));
      assertEquals(List.of(1), x.subscribe(topic, 1));
      x.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
      assertTrue(x.closedWithin(Duration.ofSeconds(3)));
    }
    Mqtt5BlockingClient pub = Clients.hiveConnected(
        Clients.hiveBuilder(ClusterFixture.HOST, cluster.mqttPort(A), "bh-heal-pub"));
    for (int i = 0; i < QUEUED; i++) {
      // send() returns once PUBACKed (the message is queued for the offline session on n1)
      pub.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(bytes("bh-" + i)).send();
    }
    Clients.disconnectQuietly(pub);

    List<String> seen = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    long t0 = System.nanoTime();
    cluster.faults().isolate(A);
    connectWhileTheHolderMayBeAlive(client, "right after the cut", t0, seen, problems);
    Duration found = cluster.awaitLinkDown(B, A, Duration.ofSeconds(10));
    seen.add("n2 finds n1 down after " + found.toMillis() + " ms");
    // Down is not dead: until dead-after n1 may still hold the session.
    while (since(t0).compareTo(DEAD_AFTER.minusMillis(1500)) < 0) {
      connectWhileTheHolderMayBeAlive(client, "n1 down", t0, seen, problems);
      NetnsOneWayBlackHoleTest.pause(Duration.ofMillis(300));
    }

    cluster.faults().healAll();
    cluster.awaitLinkUp(B, A, Duration.ofSeconds(15));
    cluster.awaitLinkUp(A, B, Duration.ofSeconds(15));
    ConnAck ack = null;
    TreeSet<Integer> got = new TreeSet<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (ack == null && System.nanoTime() < deadline) {
      try (RawClient x = cluster.raw(B, MqttVersion.MQTT_5)) {
        ConnAck a = x.connect(connectPacket(client));
        if (a.reasonCode() == ReasonCode.SUCCESS) {
          ack = a;
          got = ClusterClients.receiveNumbered(x, "bh-", QUEUED, Duration.ofSeconds(2));
          x.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
        } else {
          NetnsOneWayBlackHoleTest.pause(Duration.ofMillis(200)); // a client's retry pace
        }
      }
    }
    seen.add("after the heal: " + (ack == null ? "no session within 15 s"
        : "Session Present " + ack.sessionPresent() + ", " + got.size() + " of " + QUEUED));
    if (ack == null || !ack.sessionPresent() || got.size() != QUEUED) {
      problems.add("after the heal the session must come to n2 with all " + QUEUED
          + " messages");
    }
    String summary = String.join("; ", seen);
    System.out.println("NetnsHolderBlackHoleTest heal: " + summary);
    assertTrue(problems.isEmpty(), summary + "\n" + String.join("\n", problems));
  }

  @Test
  void pastDeadAfterTheClaimerStartsFreshAndTheHealedHolderGivesItsCopyUp() throws Exception {
    String client = "bh-dead";
    String topic = "bh/dead";
    List<String> seen = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    try (RawClient onA = cluster.raw(A, MqttVersion.MQTT_5)) {
      onA.connect(client, true, 60, RawClient.sessionExpiry(SESSION_EXPIRY));
      assertEquals(List.of(1), onA.subscribe(topic, 1));

      long t0 = System.nanoTime();
      cluster.faults().isolate(A);
      RawClient onB = null;
      while (onB == null && since(t0).compareTo(DEAD_AFTER.plusSeconds(15)) < 0) {
        RawClient x = cluster.raw(B, MqttVersion.MQTT_5);
        ConnAck ack = connect(x, client, t0, seen, problems);
        if (ack != null && ack.reasonCode() == ReasonCode.SUCCESS) {
          onB = x;
        } else {
          x.close();
          NetnsOneWayBlackHoleTest.pause(Duration.ofMillis(300)); // a client's retry pace
        }
      }
      assertTrue(onB != null, "a session on n2 once n1 is declared dead: " + seen);
      try (RawClient b = onB) {
        Duration fresh = since(t0);
        seen.add("a session on n2 after " + fresh.toMillis() + " ms");
        if (fresh.compareTo(DEAD_AFTER) < 0) {
          problems.add("a fresh session before dead-after (" + DEAD_AFTER.toMillis() + " ms)");
        }
        assertEquals(List.of(1), b.subscribe(topic, 1));
        awaitRoute(b, C, topic);

        NumberedPublisher pub =
            NumberedPublisher.connect("bh-pub", ClusterFixture.HOST, cluster.mqttPort(C), topic);
        Receipts receipts = new Receipts();
        try {
          pub.start(50, 1_000, Duration.ofSeconds(30));
          NetnsOneWayBlackHoleTest.pause(Duration.ofSeconds(2)); // publishing while n1 is away

          cluster.faults().healAll();
          long healed = System.nanoTime();
          MqttPacket last = readUntilDisconnect(onA, Duration.ofSeconds(20), receipts);
          seen.add("after the heal n1's connection got " + last + " after "
              + since(healed).toMillis() + " ms");
          if (!(last instanceof Disconnect d)
              || d.reasonCode() != ReasonCode.SESSION_TAKEN_OVER) {
            problems.add("n1's older connection must be told 0x8E (taken over), got " + last);
          }
          NetnsOneWayBlackHoleTest.pause(Duration.ofSeconds(2)); // publishing after the heal
          pub.stop(Duration.ofSeconds(10));
          Set<Integer> acked = pub.acked();
          readAndAck(b, acked, pub.name(), receipts, Duration.ofSeconds(15));
          List<Integer> missing = receipts.missing(pub.name(), acked);
          seen.add("publisher on n3: sent " + pub.sent() + ", acked " + acked.size() + " "
              + pub.outcomes() + ", received on n2 " + receipts.total() + " (duplicates "
              + receipts.duplicates() + "), missing " + missing.size());
          if (!missing.isEmpty()) {
            problems.add("acknowledged but never received: " + Receipts.brief(missing));
          }
          if (b.isClosed()) {
            problems.add("the connection on n2, the session's one owner, was closed");
          }
        } finally {
          pub.close(Duration.ofSeconds(5));
        }
      }
    }
    String summary = String.join("; ", seen);
    System.out.println("NetnsHolderBlackHoleTest dead-after: " + summary);
    assertTrue(problems.isEmpty(), summary + "\n" + String.join("\n", problems));
  }

  /**
   * One CONNECT (Clean Start 0) on n2 while n1 may be alive: 0x88 is right, no CONNACK within
   * {@link #CONNACK_WAIT} is a hang, success with Session Present 0 is the bug.
   */
  private void connectWhileTheHolderMayBeAlive(
      String client, String when, long t0, List<String> seen, List<String> problems) {
    try (RawClient x = cluster.raw(B, MqttVersion.MQTT_5)) {
      ConnAck ack = connect(x, client, t0, seen, problems);
      if (ack != null && ack.reasonCode() == ReasonCode.SUCCESS) {
        problems.add(when + ": CONNACK success, Session Present " + ack.sessionPresent()
            + " while n1, which holds the session and its messages, is cut off");
      }
    }
  }

  /**
   * Sends a CONNECT and reads its CONNACK; records the outcome. Before dead-after only 0x88 is
   * acceptable, after it 0x88 or success; null when no CONNACK came in time (a problem).
   */
  private static ConnAck connect(
      RawClient x, String client, long t0, List<String> seen, List<String> problems) {
    long sent = System.nanoTime();
    x.send(connectPacket(client));
    MqttPacket p = x.read(CONNACK_WAIT);
    String at = "at " + since(t0).toMillis() + " ms";
    if (!(p instanceof ConnAck ack)) {
      problems.add(at + ": no CONNACK within " + CONNACK_WAIT + " (" + p + ")");
      return null;
    }
    boolean early = since(t0).compareTo(DEAD_AFTER) < 0;
    String outcome = "CONNACK " + RawClient.hex(ack.reasonCode()) + " SP=" + (ack.sessionPresent()
        ? 1 : 0) + " in " + since(sent).toMillis() + " ms";
    seen.add(at + ": " + outcome);
    if (ack.reasonCode() != ReasonCode.SUCCESS
        && ack.reasonCode() != ReasonCode.SERVER_UNAVAILABLE) {
      problems.add(at + ": " + outcome + ", expected 0x88 or a session");
    } else if (ack.reasonCode() == ReasonCode.SUCCESS && early) {
      problems.add(at + ": " + outcome + " before dead-after while n1 may hold the session");
    }
    return ack;
  }

  private static MqttPacket.Connect connectPacket(String client) {
    return RawClient.connectPacket(
        MqttVersion.MQTT_5, client, false, 60, RawClient.sessionExpiry(SESSION_EXPIRY));
  }

  /** Publishes QoS 0 probes on node {@code from} until {@code sub} hears one (bounded). */
  private void awaitRoute(RawClient sub, int from, String topic) throws InterruptedException {
    Mqtt5BlockingClient probe = Clients.hiveConnected(
        Clients.hiveBuilder(ClusterFixture.HOST, cluster.mqttPort(from), "bh-probe"));
    try {
      for (int round = 0; round < 100; round++) {
        probe.publishWith().topic(topic).qos(MqttQos.AT_MOST_ONCE).payload(bytes("probe"))
            .send();
        if (sub.read(Duration.ofMillis(200)) instanceof Publish) {
          return;
        }
      }
      throw new AssertionError(ClusterFixture.nodeId(from) + " does not route " + topic
          + " to the new session in 20 s");
    } finally {
      Clients.disconnectQuietly(probe);
    }
  }

  /**
   * Reads (recording, not acknowledging) until something other than a PUBLISH arrives (returned),
   * the connection ends or {@code bound} passes (null).
   */
  private static MqttPacket readUntilDisconnect(RawClient c, Duration bound, Receipts receipts) {
    long deadline = System.nanoTime() + bound.toNanos();
    while (System.nanoTime() < deadline) {
      MqttPacket p = c.read(Duration.ofMillis(200));
      if (p instanceof Publish pub) {
        receipts.add(Clients.text(pub));
      } else if (p != null) {
        return p;
      } else if (c.isClosed()) {
        return null;
      }
    }
    return null;
  }

  /** Reads and acknowledges until every number in {@code acked} is in, or {@code bound}. */
  private static void readAndAck(RawClient c, Set<Integer> acked, String publisher,
      Receipts receipts, Duration bound) {
    long deadline = System.nanoTime() + bound.toNanos();
    while (!receipts.missing(publisher, acked).isEmpty() && System.nanoTime() < deadline
        && !c.isClosed()) {
      MqttPacket p = c.read(Duration.ofMillis(200));
      if (p instanceof Publish pub) {
        String payload = Clients.text(pub);
        if (!payload.equals("probe")) {
          receipts.add(payload);
        }
        if (pub.qos() > 0) {
          c.puback(pub.packetId());
        }
      }
    }
  }

  private static Duration since(long t0) {
    return Duration.ofNanos(System.nanoTime() - t0);
  }
}

package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A persistent QoS 1 subscriber hops between n1 and n2 a hundred times while a publisher sends
 * numbered messages: every message the broker acknowledged must reach it at least once, whatever
 * node it was on when the message was published. Messages that reach the node a session has just
 * left, or a node that does not yet route to the session's new home, must not be lost.
 *
 * <p>Hops alternate between the two ways a client moves: DISCONNECT then CONNECT on the other
 * node (the session waits offline in between), and CONNECT on the other node while still
 * connected (a takeover: the old connection gets DISCONNECT 0x8E).
 */
@Timeout(120)
class HoppingSubscriberTest extends SharedClusterTest {
  private static final int HOPS = 100;
  /** Time on a node between hops. */
  private static final Duration STAY = Duration.ofMillis(150);
  private static final int PER_SECOND = 100;
  /** Bounds the publisher whatever happens to the hops: more than 100 hops need. */
  private static final int MAX_MESSAGES = 6_000;
  private static final Duration MAX_PUBLISHING = Duration.ofSeconds(60);
  /** After the last hop: how long the subscriber may take to get what is still due to it. */
  private static final Duration SETTLE = Duration.ofSeconds(10);
  private static final long SESSION_EXPIRY = 3600;

  @Test
  void publisherOnN1() throws Exception {
    hopWhilePublishing("hop-a", A);
  }

  @Test
  void publisherOnN3() throws Exception {
    hopWhilePublishing("hop-c", C);
  }

  private void hopWhilePublishing(String name, int publisherNode) throws Exception {
    String clientId = name + "-sub";
    String topic = name + "/t";
    Receipts receipts = new Receipts();
    List<String> problems = new ArrayList<>();

    int node = A;
    RawClient sub = cluster.raw(node, MqttVersion.MQTT_5);
    sub.connect(clientId, true, 60, RawClient.sessionExpiry(SESSION_EXPIRY));
    assertEquals(List.of(1), sub.subscribe(topic, 1));
    cluster.awaitRouteEverywhere(topic, node);

    NumberedPublisher pub = NumberedPublisher.connect(
        name + "-pub", ClusterFixture.HOST, cluster.mqttPort(publisherNode), topic);
    pub.start(PER_SECOND, MAX_MESSAGES, MAX_PUBLISHING);
    long slowestConnectMillis = 0;
    try {
      for (int hop = 1; hop <= HOPS; hop++) {
        readAndAck(sub, STAY, receipts, problems);
        int next = node == A ? B : A;
        boolean takeover = hop % 2 == 0;
        if (!takeover) {
          sub.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
          recordUntilClosed(sub, receipts);
        }
        long t0 = System.nanoTime();
        RawClient moved = cluster.raw(next, MqttVersion.MQTT_5);
        ConnAck ack = moved.connect(RawClient.connectPacket(
            MqttVersion.MQTT_5, clientId, false, 60, RawClient.sessionExpiry(SESSION_EXPIRY)));
        slowestConnectMillis = Math.max(slowestConnectMillis, (System.nanoTime() - t0) / 1_000_000);
        if (takeover) {
          // Whatever the old connection got before it was told to go was delivered to us.
          recordUntilClosed(sub, receipts);
        }
        sub.close();
        sub = moved;
        node = next;
        if (ack.reasonCode() != ReasonCode.SUCCESS || !ack.sessionPresent()) {
          problems.add("hop " + hop + " to " + ClusterFixture.nodeId(next) + ": CONNACK "
              + RawClient.hex(ack.reasonCode()) + " session present " + ack.sessionPresent());
          if (ack.reasonCode() != ReasonCode.SUCCESS) {
            break;
          }
        }
      }
      pub.stop(Duration.ofSeconds(10));
      Set<Integer> acked = pub.acked();
      // Deliveries may still be on their way: read until all acknowledged numbers are in.
      long deadline = System.nanoTime() + SETTLE.toNanos();
      while (!receipts.missing(pub.name(), acked).isEmpty() && System.nanoTime() < deadline
          && !sub.isClosed()) {
        readAndAck(sub, Duration.ofMillis(200), receipts, problems);
      }

      List<Integer> missing = receipts.missing(pub.name(), acked);
      String summary = name + ": publisher on " + ClusterFixture.nodeId(publisherNode)
          + ", " + HOPS + " hops, sent " + pub.sent() + ", acked " + acked.size()
          + " " + pub.outcomes() + ", received " + receipts.total()
          + " (duplicates " + receipts.duplicates() + "), missing " + missing.size()
          + ", slowest CONNACK " + slowestConnectMillis + " ms";
      System.out.println(summary);
      if (!missing.isEmpty()) {
        problems.add(0, "acknowledged but never received: " + Receipts.brief(missing));
      }
      assertTrue(problems.isEmpty(), summary + "\n" + String.join("\n", problems));
    } finally {
      pub.close(Duration.ofSeconds(5));
      sub.close();
      endSession(node, clientId);
    }
  }

  /**
   * Reads for {@code duration}, acknowledging every QoS 1 PUBLISH at once and recording its
   * payload. A close or DISCONNECT from the broker is a problem: nothing else moves this client.
   */
  private static void readAndAck(
      RawClient c, Duration duration, Receipts receipts, List<String> problems) {
    long deadline = System.nanoTime() + duration.toNanos();
    for (long left; (left = deadline - System.nanoTime()) > 0; ) {
      MqttPacket p = c.read(Duration.ofNanos(left));
      if (p instanceof Publish pub) {
        receipts.add(Clients.text(pub));
        if (pub.qos() == 1) {
          c.puback(pub.packetId());
        }
      } else if (p != null) {
        problems.add("unexpected " + p);
      } else if (c.isClosed()) {
        problems.add("the broker closed the subscriber's connection");
        return;
      }
    }
  }

  /** Records the PUBLISHes a connection got before the broker closed it; acknowledges none. */
  private static void recordUntilClosed(RawClient c, Receipts receipts) {
    for (MqttPacket p : c.expectClosed(RawClient.WAIT)) {
      if (p instanceof Publish pub) {
        receipts.add(Clients.text(pub));
      }
    }
  }

  /** Ends the session (clean start, expiry 0) so the next test finds no trace of it. */
  private static void endSession(int node, String clientId) {
    try (RawClient c = cluster.raw(node, MqttVersion.MQTT_5)) {
      c.connect(clientId, true, 0, null);
      c.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
    } catch (RuntimeException | AssertionError ignored) {
      // best effort
    }
  }
}

package io.simqtt.peer;

import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.Clients;
import io.simqtt.core.it.RawClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A durable session whose queue is far larger than either node's heap moves between two node
 * processes: 24,000 queued QoS 1 messages of 4 KB (about 100 MB) on n1, whose JVMs have a 64 MB
 * heap, and the client connects to n2. The session comes with Session Present and every message,
 * once and in order, and both nodes stay up. Before the hand-over streamed the disk part of the
 * queue, the holder read all of it onto its heap first and the claimer joined it into one state:
 * either node ran out of memory.
 */
@Timeout(240)
class DurableLargeSessionMoveTest {
  private static final int MESSAGES = 24_000;
  private static final int PAYLOAD_BYTES = 4 * 1024;
  private static final String CLIENT = "big-durable";
  private static final String TOPIC = "big/d";

  @TempDir Path dir;
  private ProcessCluster nodes;

  @AfterEach
  void tearDown() throws Exception {
    if (nodes != null) {
      nodes.saveLogs(Path.of("target", "durable-large-session-move"));
      nodes.close();
    }
  }

  @Test
  void aQueueLargerThanTheHeapMovesWithItsSessionInOrder() throws Exception {
    nodes = ProcessCluster.startDurable(2, dir,
        "mqtt.sessions.max-queued-messages = 100000\n", List.of("-Xmx64m"));
    try (RawClient x = RawClient.open(ClusterFixture.HOST, nodes.mqttPort(0), MqttVersion.MQTT_5)) {
      x.connect(CLIENT, true, 60, RawClient.sessionExpiry(3600));
      assertEquals(List.of(1), x.subscribe(TOPIC, 1));
      x.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
      assertTrue(x.closedWithin(Duration.ofSeconds(5)));
    }
    publishAllOnN1();

    try (RawClient x = RawClient.open(ClusterFixture.HOST, nodes.mqttPort(1), MqttVersion.MQTT_5)) {
      long t0 = System.nanoTime();
      x.send(RawClient.connectPacket(
          MqttVersion.MQTT_5, CLIENT, false, 60, RawClient.sessionExpiry(3600)));
      ConnAck ack = x.expect(ConnAck.class, Duration.ofSeconds(60));
      long connAckMillis = (System.nanoTime() - t0) / 1_000_000;
      List<Integer> got = ack.reasonCode() == ReasonCode.SUCCESS ? receiveAll(x) : List.of();
      List<Integer> outOfOrder = new ArrayList<>();
      for (int i = 0; i < got.size(); i++) {
        if (got.get(i) != i) {
          outOfOrder.add(i);
        }
      }
      String summary = "CONNACK " + RawClient.hex(ack.reasonCode()) + " session present "
          + ack.sessionPresent() + " after " + connAckMillis + " ms; received " + got.size()
          + " of " + MESSAGES;
      System.out.println("DurableLargeSessionMoveTest: " + summary);
      assertAll(summary,
          () -> assertEquals(ReasonCode.SUCCESS, ack.reasonCode(), "CONNACK reason"),
          () -> assertTrue(ack.sessionPresent(), "Session Present"),
          () -> assertEquals(MESSAGES, got.size(), "deliveries"),
          () -> assertTrue(outOfOrder.isEmpty(),
              "not the n-th message at position n: " + Receipts.brief(outOfOrder)),
          () -> assertTrue(nodes.allAlive(), "a node died"),
          () -> assertFalse(nodes.log(0).stream().anyMatch(l -> l.contains("OutOfMemoryError")),
              "n1 ran out of memory"),
          () -> assertFalse(nodes.log(1).stream().anyMatch(l -> l.contains("OutOfMemoryError")),
              "n2 ran out of memory"));
    }
  }

  /** Publishes the numbered messages on n1, at most 500 unacknowledged, and waits for each PUBACK. */
  private void publishAllOnN1() throws Exception {
    Mqtt5AsyncClient pub =
        Clients.hiveBuilder(ClusterFixture.HOST, nodes.mqttPort(0), "big-pub").buildAsync();
    pub.connect().orTimeout(10, TimeUnit.SECONDS).join();
    try {
      Semaphore window = new Semaphore(500);
      List<CompletableFuture<Mqtt5PublishResult>> results = new ArrayList<>(MESSAGES);
      for (int i = 0; i < MESSAGES; i++) {
        assertTrue(window.tryAcquire(30, TimeUnit.SECONDS), "no PUBACK for 30 s");
        results.add(pub.publishWith().topic(TOPIC).qos(MqttQos.AT_LEAST_ONCE)
            .payload(payload(i)).send().whenComplete((r, e) -> window.release()));
      }
      CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
          .orTimeout(60, TimeUnit.SECONDS).join();
      for (CompletableFuture<Mqtt5PublishResult> r : results) {
        assertTrue(r.join().getError().isEmpty(), "PUBACK error: " + r.join().getError());
      }
    } finally {
      pub.disconnect().orTimeout(5, TimeUnit.SECONDS).join();
    }
  }

  /** "n|" padded to 4 KB. */
  private static byte[] payload(int n) {
    StringBuilder sb = new StringBuilder(PAYLOAD_BYTES).append(n).append('|');
    while (sb.length() < PAYLOAD_BYTES) {
      sb.append('x');
    }
    return bytes(sb.toString());
  }

  /**
   * Reads and acknowledges until every message is in or nothing arrives for 10 s (bounded at 120
   * s in all); returns the numbers in the order they came, duplicates included.
   */
  private static List<Integer> receiveAll(RawClient x) {
    List<Integer> got = new ArrayList<>(MESSAGES);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (got.size() < MESSAGES && System.nanoTime() < deadline) {
      MqttPacket p = x.read(Duration.ofSeconds(10));
      if (!(p instanceof Publish pub)) {
        break;
      }
      String s = Clients.text(pub);
      got.add(Integer.parseInt(s.substring(0, s.indexOf('|'))));
      if (pub.qos() > 0) {
        x.puback(pub.packetId());
      }
    }
    return got;
  }
}

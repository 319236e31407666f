package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An offline session holding 10,000 queued QoS 1 messages of 5 KB (about 50 MB, far beyond
 * gRPC's default 4 MiB message limit) moves from n1 to n2: Session Present and every message
 * must come with it. A hand-over that sends the state in one frame breaks the link instead.
 */
@Timeout(120)
class LargeSessionHandOverTest {
  private static final int A = 0;
  private static final int B = 1;
  private static final int MESSAGES = 10_000;
  private static final int PAYLOAD_BYTES = 5 * 1024;
  private static final String CLIENT = "big-x";
  private static final String TOPIC = "big/t";

  private static ClusterFixture cluster;

  @BeforeAll
  static void start() {
    cluster = ClusterFixture.start(3, "mqtt.sessions.max-queued-messages = 20000\n");
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void tenThousandQueuedMessagesOf5KbMoveToN2WithTheSession() throws Exception {
    try (RawClient x = cluster.raw(A, MqttVersion.MQTT_5)) {
      x.connect(CLIENT, true, 60, RawClient.sessionExpiry(3600));
      assertEquals(List.of(1), x.subscribe(TOPIC, 1));
      x.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
      assertTrue(x.closedWithin(Duration.ofSeconds(3)));
    }
    publishAllOnN1();
    await(Duration.ofSeconds(30), () -> cluster.queuedAt(A, CLIENT) == MESSAGES,
        () -> MESSAGES + " queued for " + CLIENT + " on n1, have " + cluster.queuedAt(A, CLIENT));

    try (RawClient x = cluster.raw(B, MqttVersion.MQTT_5)) {
      long t0 = System.nanoTime();
      ConnAck ack = x.connect(RawClient.connectPacket(
          MqttVersion.MQTT_5, CLIENT, false, 60, RawClient.sessionExpiry(3600)));
      long connAckMillis = (System.nanoTime() - t0) / 1_000_000;
      Set<Integer> got = new HashSet<>();
      int deliveries = ack.reasonCode() == ReasonCode.SUCCESS ? receiveAll(x, got) : 0;
      String summary = "CONNACK " + RawClient.hex(ack.reasonCode()) + " session present "
          + ack.sessionPresent() + " after " + connAckMillis + " ms; received " + got.size()
          + " of " + MESSAGES + " (" + deliveries + " deliveries); left on n1: "
          + cluster.queuedAt(A, CLIENT) + " queued (-1 = no session)";
      System.out.println("LargeSessionHandOverTest: " + summary);
      // Set equality, told as what is missing and what is extra (10,000 numbers do not read).
      List<Integer> missing = new ArrayList<>();
      for (int i = 0; i < MESSAGES; i++) {
        if (!got.contains(i)) {
          missing.add(i);
        }
      }
      List<Integer> extra = got.stream().filter(n -> n < 0 || n >= MESSAGES).sorted().toList();
      assertAll(summary,
          () -> assertEquals(ReasonCode.SUCCESS, ack.reasonCode(), "CONNACK reason"),
          () -> assertTrue(ack.sessionPresent(), "Session Present"),
          () -> assertEquals(List.of(), extra, "numbers never published"),
          () -> assertTrue(missing.isEmpty(), "missing " + Receipts.brief(missing)));
    }
  }

  /** Publishes the numbered messages on n1 and waits for every PUBACK (0x00: it was queued). */
  private static void publishAllOnN1() {
    Mqtt5AsyncClient pub = cluster.hive(A, "big-pub").buildAsync();
    pub.connect().orTimeout(10, TimeUnit.SECONDS).join();
    try {
      List<CompletableFuture<Mqtt5PublishResult>> results = new ArrayList<>();
      for (int i = 0; i < MESSAGES; i++) {
        results.add(pub.publishWith().topic(TOPIC).qos(MqttQos.AT_LEAST_ONCE)
            .payload(payload(i)).send());
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

  /** "big-<n>|" padded to 5 KB. */
  private static byte[] payload(int n) {
    StringBuilder sb = new StringBuilder(PAYLOAD_BYTES).append("big-").append(n).append('|');
    while (sb.length() < PAYLOAD_BYTES) {
      sb.append('x');
    }
    return bytes(sb.toString());
  }

  private static int numberOf(Publish p) {
    String s = Clients.text(p);
    return Integer.parseInt(s.substring(4, s.indexOf('|')));
  }

  /**
   * Reads and acknowledges until every number is in or nothing arrives for 3 s (bounded at 60 s
   * in all); returns the deliveries seen, duplicates included.
   */
  private static int receiveAll(RawClient x, Set<Integer> got) {
    int deliveries = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (got.size() < MESSAGES && System.nanoTime() < deadline) {
      MqttPacket p = x.read(Duration.ofSeconds(3));
      if (!(p instanceof Publish pub)) {
        break; // quiet, closed, or something else: what came is what we report
      }
      deliveries++;
      got.add(numberOf(pub));
      if (pub.qos() > 0) {
        x.puback(pub.packetId());
      }
    }
    return deliveries;
  }
}

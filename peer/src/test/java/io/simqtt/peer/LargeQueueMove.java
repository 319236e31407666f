package io.simqtt.peer;

import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
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
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A persistent session with a large queue moving between two nodes of a {@link ProcessCluster},
 * as a client sees it: subscribed on n1 and gone, numbered QoS 1 messages queued for it there,
 * then a connect to n2 with Clean Start 0 (and, for a move back, one that leaves at once, then a
 * connect to n1) and everything read in the order it comes.
 */
final class LargeQueueMove {
  private static final String CLIENT = "big-durable";
  private static final String TOPIC = "big/d";
  private static final int IN_FLIGHT = 500;

  /** What the client saw on n2. */
  record Arrival(ConnAck ack, long connAckMillis, long receiveMillis, List<Integer> numbers) {
    /** Positions that do not hold their own number (the n-th message must be number n). */
    List<Integer> outOfOrder() {
      List<Integer> wrong = new ArrayList<>();
      for (int i = 0; i < numbers.size(); i++) {
        if (numbers.get(i) != i) {
          wrong.add(i);
        }
      }
      return wrong;
    }

    String summary(int messages) {
      return "CONNACK " + RawClient.hex(ack.reasonCode()) + " session present "
          + ack.sessionPresent() + " after " + connAckMillis + " ms; received "
          + numbers.size() + " of " + messages + " in " + receiveMillis + " ms";
    }
  }

  private LargeQueueMove() {}

  /** Subscribes the client at QoS 1 on node {@code from}, and leaves its session there. */
  static void subscribeAndLeave(ProcessCluster nodes, int from) {
    try (RawClient x =
        RawClient.open(ClusterFixture.HOST, nodes.mqttPort(from), MqttVersion.MQTT_5)) {
      x.connect(CLIENT, true, 60, RawClient.sessionExpiry(86_400));
      assertEquals(List.of(1), x.subscribe(TOPIC, 1));
      x.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
      assertTrue(x.closedWithin(Duration.ofSeconds(5)));
    }
  }

  /**
   * Publishes messages 0 to {@code n - 1} of {@code payloadBytes} on node {@code on}, at most
   * {@link #IN_FLIGHT} unacknowledged, and waits for every PUBACK (each must be 0x00).
   */
  static void publish(ProcessCluster nodes, int on, int n, int payloadBytes) throws Exception {
    Mqtt5AsyncClient pub =
        Clients.hiveBuilder(ClusterFixture.HOST, nodes.mqttPort(on), "big-pub").buildAsync();
    pub.connect().orTimeout(10, TimeUnit.SECONDS).join();
    try {
      Semaphore window = new Semaphore(IN_FLIGHT);
      AtomicReference<String> failed = new AtomicReference<>();
      for (int i = 0; i < n && failed.get() == null; i++) {
        assertTrue(window.tryAcquire(60, TimeUnit.SECONDS), "no PUBACK for 60 s at " + i);
        pub.publishWith().topic(TOPIC).qos(MqttQos.AT_LEAST_ONCE).payload(payload(i, payloadBytes))
            .send()
            .whenComplete((r, e) -> {
              if (e != null || r.getError().isPresent()) {
                failed.compareAndSet(null, e != null ? e.toString() : r.getError().toString());
              }
              window.release();
            });
      }
      assertTrue(window.tryAcquire(IN_FLIGHT, 60, TimeUnit.SECONDS), "PUBACKs missing");
      assertEquals(null, failed.get(), "a publish failed");
    } finally {
      pub.disconnect().orTimeout(5, TimeUnit.SECONDS).join();
    }
  }

  /**
   * Connects the client to node {@code to} with its session and leaves at once, reading and
   * acknowledging nothing: the session stays there with its whole queue (what went out is
   * unacknowledged, resent on the next connection). Returns the CONNACK.
   */
  static ConnAck connectAndLeave(ProcessCluster nodes, int to) {
    try (RawClient x =
        RawClient.open(ClusterFixture.HOST, nodes.mqttPort(to), MqttVersion.MQTT_5)) {
      x.send(RawClient.connectPacket(
          MqttVersion.MQTT_5, CLIENT, false, 60, RawClient.sessionExpiry(86_400)));
      ConnAck ack = x.expect(ConnAck.class, Duration.ofSeconds(120));
      x.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
      assertTrue(x.closedWithin(Duration.ofSeconds(5)));
      return ack;
    }
  }

  /**
   * Connects the client to node {@code to} with its session, then reads and acknowledges until
   * {@code n} messages are in or nothing comes for 10 s (at most {@code limit} in all).
   */
  static Arrival connectAndReceive(ProcessCluster nodes, int to, int n, Duration limit) {
    try (RawClient x =
        RawClient.open(ClusterFixture.HOST, nodes.mqttPort(to), MqttVersion.MQTT_5)) {
      long t0 = System.nanoTime();
      x.send(RawClient.connectPacket(
          MqttVersion.MQTT_5, CLIENT, false, 60, RawClient.sessionExpiry(86_400)));
      ConnAck ack = x.expect(ConnAck.class, Duration.ofSeconds(120));
      long t1 = System.nanoTime();
      List<Integer> got = new ArrayList<>(n);
      long deadline = t1 + limit.toNanos();
      while (ack.reasonCode() == ReasonCode.SUCCESS && got.size() < n
          && System.nanoTime() < deadline) {
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
      return new Arrival(ack, (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000, got);
    }
  }

  /** "n|" padded to {@code size} bytes. */
  private static byte[] payload(int n, int size) {
    StringBuilder sb = new StringBuilder(size).append(n).append('|');
    while (sb.length() < size) {
      sb.append('x');
    }
    return bytes(sb.toString());
  }
}

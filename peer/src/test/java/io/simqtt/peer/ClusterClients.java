package io.simqtt.peer;

import static io.simqtt.core.it.RawClient.ack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.PacketType;
import io.simqtt.core.it.RawClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Client-side helpers for the multi-node tests. */
final class ClusterClients {
  /** How long "no more messages" is watched for. */
  static final Duration QUIET = Duration.ofMillis(500);

  private ClusterClients() {}

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  static String text(Mqtt5Publish p) {
    return text(p.getPayloadAsBytes());
  }

  /** A HiveMQ client on node {@code node}, connected with clean start and no session expiry. */
  static Mqtt5BlockingClient connect(ClusterFixture f, int node, String clientId) {
    Mqtt5BlockingClient c = f.hive(node, clientId).buildBlocking();
    c.connect();
    return c;
  }

  /** Every publish {@code c} receives from now on; call before subscribing. */
  static BlockingQueue<Mqtt5Publish> inbox(Mqtt5BlockingClient c) {
    BlockingQueue<Mqtt5Publish> q = new LinkedBlockingQueue<>();
    c.toAsync().publishes(MqttGlobalPublishFilter.ALL, q::add);
    return q;
  }

  /** The next message, failing after {@code timeout}. */
  static Mqtt5Publish take(BlockingQueue<Mqtt5Publish> q, Duration timeout)
      throws InterruptedException {
    Mqtt5Publish p = q.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (p == null) {
      fail("no message within " + timeout);
    }
    return p;
  }

  /** Payloads of {@code count} messages, failing if fewer arrive within {@code timeout}. */
  static List<String> takeN(BlockingQueue<Mqtt5Publish> q, int count, Duration timeout)
      throws InterruptedException {
    List<String> out = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (out.size() < count) {
      long left = deadline - System.nanoTime();
      Mqtt5Publish p = left <= 0 ? null : q.poll(left, TimeUnit.NANOSECONDS);
      if (p == null) {
        fail("got " + out.size() + " of " + count + " messages within " + timeout + ": " + out);
      }
      out.add(text(p));
    }
    return out;
  }

  /** Payloads of what arrives until nothing does for {@link #QUIET}. */
  static List<String> drain(BlockingQueue<Mqtt5Publish> q) throws InterruptedException {
    List<String> out = new ArrayList<>();
    Mqtt5Publish p;
    while ((p = q.poll(QUIET.toMillis(), TimeUnit.MILLISECONDS)) != null) {
      out.add(text(p));
    }
    return out;
  }

  /** Payloads seen more than once, with their counts. */
  static Map<String, Integer> duplicates(List<String> payloads) {
    Map<String, Integer> counts = new HashMap<>();
    for (String s : payloads) {
      counts.merge(s, 1, Integer::sum);
    }
    counts.values().removeIf(n -> n == 1);
    return counts;
  }

  static void assertNoDuplicates(List<String> payloads, String who) {
    assertEquals(Map.of(), duplicates(payloads), who + " got copies");
  }

  /**
   * Reads PUBLISHes on a raw client, acknowledging each the way its QoS asks (PUBACK; PUBREC then
   * PUBCOMP on PUBREL), until nothing arrives for {@code quiet}. Returns the PUBLISH packets in
   * arrival order; a DISCONNECT or anything unexpected fails.
   */
  static List<Publish> receiveAndAck(RawClient c, Duration quiet) {
    List<Publish> got = new ArrayList<>();
    MqttPacket p;
    while ((p = c.read(quiet)) != null) {
      if (p instanceof Publish pub) {
        got.add(pub);
        if (pub.qos() == 1) {
          c.puback(pub.packetId());
        } else if (pub.qos() == 2) {
          c.send(ack(PacketType.PUBREC, pub.packetId()));
        }
      } else if (p instanceof PubResponse r && r.type() == PacketType.PUBREL) {
        c.send(ack(PacketType.PUBCOMP, r.packetId()));
      } else {
        fail("unexpected " + p + " after " + got.size() + " publishes");
      }
    }
    return got;
  }

  static List<String> payloads(List<Publish> publishes) {
    List<String> out = new ArrayList<>();
    for (Publish p : publishes) {
      out.add(text(p.payload()));
    }
    return out;
  }

  /** "prefix-0" .. "prefix-(n-1)". */
  static List<String> numbered(String prefix, int from, int to) {
    List<String> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add(prefix + "-" + i);
    }
    return out;
  }

  static void disconnectQuietly(Mqtt5BlockingClient c) {
    try {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    } catch (RuntimeException ignored) {
      // already gone
    }
  }
}

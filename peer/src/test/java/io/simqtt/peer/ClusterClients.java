package io.simqtt.peer;

import static io.simqtt.core.it.Clients.hiveConnected;
import static io.simqtt.core.it.Clients.text;
import static io.simqtt.core.it.RawClient.ack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.PacketType;
import io.simqtt.core.it.RawClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Client-side helpers for the multi-node tests; the general ones (inboxes, take, drain, payload
 * text) are core's {@link io.simqtt.core.it.Clients}.
 */
final class ClusterClients {
  /** How long "no more messages" is watched for. */
  static final Duration QUIET = Duration.ofMillis(500);

  private ClusterClients() {}

  /** A HiveMQ client on node {@code node}, connected with clean start and no session expiry. */
  static Mqtt5BlockingClient connect(ClusterFixture f, int node, String clientId) {
    return hiveConnected(f.hive(node, clientId));
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

  /**
   * Reads and acknowledges messages numbered "{@code prefix}n" on a raw client until {@code
   * expected} distinct numbers arrived, nothing came for {@code quiet}, or {@link
   * ClusterFixture#WAIT} passed; returns the numbers.
   */
  static TreeSet<Integer> receiveNumbered(
      RawClient c, String prefix, int expected, Duration quiet) {
    TreeSet<Integer> got = new TreeSet<>();
    long deadline = System.nanoTime() + ClusterFixture.WAIT.toNanos();
    while (got.size() < expected && System.nanoTime() < deadline) {
      MqttPacket p = c.read(quiet);
      if (!(p instanceof Publish pub)) {
        break;
      }
      got.add(Integer.parseInt(text(pub).substring(prefix.length())));
      if (pub.qos() > 0) {
        c.puback(pub.packetId());
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
}

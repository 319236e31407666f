package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.PacketType;
import io.simqtt.core.it.Clients;
import io.simqtt.core.it.RawClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * A persistent MQTT 5 subscriber over a {@link RawClient} whose client side of the session
 * outlives its connections, as a real client's must: the QoS 2 packet ids it answered PUBREC
 * and has had no PUBREL for (a PUBLISH under one of them is the same message again, not
 * delivered twice), and what it has been sent but not yet acknowledged. It records every delivery
 * of {@link NumberedPublisher} payloads ({@link Receipts}) and their order per publisher, and can
 * stop acknowledging ({@link #hold}) to keep messages in flight. One thread drives it.
 */
final class RawSessionSubscriber implements AutoCloseable {
  private static final long EXPIRY_SECONDS = 3600;

  final String id;
  final Receipts receipts = new Receipts();
  /** QoS 2 deliveries, duplicates included (beyond what the protocol's packet ids tell apart). */
  final Receipts qos2 = new Receipts();
  /** Payloads in the order they were delivered, per publisher (the payload's name part). */
  private final Map<String, List<Integer>> order = new HashMap<>();
  /** QoS 2 ids answered PUBREC, no PUBREL yet. */
  private final Set<Integer> received = new HashSet<>();
  /** PUBLISHes read while holding, not acknowledged: packet id to the packet. */
  final Map<Integer, Publish> unacknowledged = new LinkedHashMap<>();
  /** PUBRELs read while holding, not answered. */
  final Set<Integer> unansweredPubrels = new HashSet<>();
  /** Packets other than PUBLISH / PUBREL, and PUBLISH / PUBREL seen, in order: for reports. */
  final List<String> log = new ArrayList<>();
  private final int receiveMaximum;
  private RawClient client;
  private boolean holding;

  RawSessionSubscriber(String id, int receiveMaximum) {
    this.id = id;
    this.receiveMaximum = receiveMaximum;
  }

  /** Connects (clean start as given, Session Expiry 1 h) and returns Session Present. */
  boolean connect(int port, boolean cleanStart) {
    if (client != null) {
      client.close();
    }
    client = RawClient.open(ClusterFixture.HOST, port, MqttVersion.MQTT_5);
    MqttProperties p = RawClient.sessionExpiry(EXPIRY_SECONDS);
    p.receiveMaximum = receiveMaximum;
    ConnAck ack = client.connect(id, cleanStart, 0, p);
    holding = false;
    return ack.sessionPresent();
  }

  void subscribe(String filter, int qos) {
    assertEquals(List.of(qos), client.subscribe(filter, qos), "SUBACK for " + filter);
  }

  void disconnect() {
    client.disconnect(0, null);
    client.close();
    client = null;
  }

  /** Stops acknowledging: PUBLISHes and PUBRELs read from now on are kept unanswered. */
  void hold() {
    holding = true;
  }

  RawClient raw() {
    return client;
  }

  /**
   * Reads and handles packets until {@code done} holds (checked after each) or nothing arrived
   * for {@code quiet}; {@code bound} limits the whole. Returns whether {@code done} holds.
   */
  boolean readUntil(BooleanSupplier done, Duration quiet, Duration bound) {
    long deadline = System.nanoTime() + bound.toNanos();
    while (!done.getAsBoolean() && System.nanoTime() < deadline) {
      MqttPacket p = client.read(quiet);
      if (p == null) {
        break; // quiet, or the connection closed
      }
      handle(p);
    }
    return done.getAsBoolean();
  }

  /** Handles one packet as a client keeping its session would (see the class comment). */
  void handle(MqttPacket packet) {
    if (packet instanceof Publish p) {
      log.add("PUBLISH " + Clients.text(p) + " qos " + p.qos() + " id " + p.packetId()
          + (p.dup() ? " dup" : ""));
      if (holding) {
        unacknowledged.put(p.packetId(), p);
        return;
      }
      if (p.qos() == 2 && received.contains(p.packetId())) {
        client.send(RawClient.ack(PacketType.PUBREC, p.packetId())); // the same message again
        return;
      }
      deliver(p);
      if (p.qos() == 1) {
        client.puback(p.packetId());
      } else if (p.qos() == 2) {
        received.add(p.packetId());
        client.send(RawClient.ack(PacketType.PUBREC, p.packetId()));
      }
    } else if (packet instanceof PubResponse r && r.type() == PacketType.PUBREL) {
      log.add("PUBREL " + r.packetId());
      if (holding) {
        unansweredPubrels.add(r.packetId());
        return;
      }
      received.remove(r.packetId());
      client.send(RawClient.ack(PacketType.PUBCOMP, r.packetId()));
    } else {
      log.add(String.valueOf(packet));
    }
  }

  private void deliver(Publish p) {
    String payload = Clients.text(p);
    receipts.add(payload);
    if (p.qos() == 2) {
      qos2.add(payload);
    }
    int dash = payload.lastIndexOf('-');
    if (dash > 0) {
      order.computeIfAbsent(payload.substring(0, dash), k -> new ArrayList<>())
          .add(Integer.parseInt(payload.substring(dash + 1)));
    }
  }

  /**
   * Whether {@code publisher}'s messages first arrived in the order they were published (later
   * copies of a message, QoS 1 duplicates, are not counted).
   */
  List<Integer> outOfOrder(String publisher) {
    List<Integer> out = new ArrayList<>();
    Set<Integer> seen = new HashSet<>();
    int last = -1;
    for (int n : order.getOrDefault(publisher, List.of())) {
      if (seen.add(n)) {
        if (n < last) {
          out.add(n);
        }
        last = Math.max(last, n);
      }
    }
    return out;
  }

  @Override
  public void close() {
    if (client != null) {
      client.close();
    }
  }
}

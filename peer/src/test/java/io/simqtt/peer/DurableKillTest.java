package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.PacketType;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.Clients;
import io.simqtt.core.it.RawClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a durable node process while QoS 1 and QoS 2 publishers send to a persistent
 * session, then a restart on the same data directory: every message a publisher was
 * acknowledged (PUBACK; PUBCOMP) reaches the subscriber, QoS 2 exactly once, in order per
 * publisher; in-flight QoS 2 messages come back under their packet ids, and a handshake cut in
 * the middle goes on where it stopped.
 */
class DurableKillTest {
  private static final Duration BOUND = Duration.ofSeconds(30);
  private static final Duration QUIET = Duration.ofSeconds(3);
  /** Acknowledged messages per publisher before the kill. */
  private static final int BEFORE_KILL = 150;

  @TempDir Path dir;

  @Test
  void anOfflineSubscriberGetsEveryAcknowledgedMessageAfterKill9() throws Exception {
    try (DurableNodeProcess node = new DurableNodeProcess(dir, "");
        RawSessionSubscriber sub = new RawSessionSubscriber("sub", 100)) {
      node.start();
      assertFalse(sub.connect(node.mqttPort(), true));
      sub.subscribe("k/1/#", 1);
      sub.subscribe("k/2/#", 2);
      sub.disconnect();

      List<NumberedPublisher> pubs = publishUntilKilled(node);

      node.start();
      assertTrue(sub.connect(node.mqttPort(), false), "Session Present after the restart");
      assertEverythingAcknowledgedArrives(sub, pubs);
    }
  }

  @Test
  void anOnlineSubscriberGetsItsInflightMessagesAgainUnderTheirPacketIds() throws Exception {
    try (DurableNodeProcess node = new DurableNodeProcess(dir, "");
        RawSessionSubscriber sub = new RawSessionSubscriber("sub", 20)) {
      node.start();
      assertFalse(sub.connect(node.mqttPort(), true));
      sub.subscribe("k/1/#", 1);
      sub.subscribe("k/2/#", 2);

      NumberedPublisher q1 = NumberedPublisher.connect("q1", ClusterFixture.HOST,
          node.mqttPort(), "k/1/q1", MqttQos.AT_LEAST_ONCE).start(100, 5000, BOUND);
      NumberedPublisher q2 = NumberedPublisher.connect("q2", ClusterFixture.HOST,
          node.mqttPort(), "k/2/q2", MqttQos.EXACTLY_ONCE).start(100, 5000, BOUND);
      assertTrue(sub.readUntil(() -> sub.receipts.has("q1", 50) && sub.receipts.has("q2", 50),
          QUIET, BOUND), "the first 50 of each, acknowledged; got " + sub.log);
      // From here on nothing is acknowledged: the window (Receive Maximum 20, some of it QoS 2
      // messages waiting for their PUBCOMP) fills with
      // messages of both publishers, in flight when the node dies.
      sub.hold();
      assertTrue(sub.readUntil(() -> sub.unacknowledged.size() >= 15, QUIET, BOUND),
          "the window full; got " + sub.unacknowledged.keySet());
      await(BOUND, () -> q1.acked().size() >= BEFORE_KILL && q2.acked().size() >= BEFORE_KILL,
          "the publishers acknowledged " + BEFORE_KILL + " each");
      node.kill9(); // mid-stream: both publishers are still sending
      q1.close(Duration.ofSeconds(1));
      q2.close(Duration.ofSeconds(1));
      Map<Integer, Publish> inflight = Map.copyOf(sub.unacknowledged);
      sub.unacknowledged.clear();
      List<Integer> inflightQos2 = inflight.values().stream()
          .filter(p -> p.qos() == 2).map(Publish::packetId).sorted().toList();
      assertFalse(inflightQos2.isEmpty(), "QoS 2 messages in flight at the kill: " + inflight);

      node.start();
      assertTrue(sub.connect(node.mqttPort(), false), "Session Present after the restart");
      // The in-flight QoS 2 ones come first, each again under its packet id with DUP=1.
      List<String> again = new ArrayList<>();
      while (again.size() < inflightQos2.size()) {
        MqttPacket p = sub.raw().read(QUIET);
        assertTrue(p != null, "resent so far " + again + " of " + inflightQos2);
        sub.handle(p);
        if (p instanceof Publish pub && pub.qos() == 2) {
          Publish before = inflight.get(pub.packetId());
          assertTrue(before != null, "a QoS 2 PUBLISH under a new id before the resends: " + pub);
          assertTrue(pub.dup(), "DUP=1 on " + pub);
          assertEquals(Clients.text(before), Clients.text(pub), "the same message under its id");
          again.add(Clients.text(pub));
        }
      }
      assertEverythingAcknowledgedArrives(sub, List.of(q1, q2));
      for (Publish p : inflight.values()) {
        assertTrue(sub.receipts.has(Clients.text(p)), "in flight at the kill, then delivered: "
            + Clients.text(p));
      }
    }
  }

  @Test
  void handshakesCutByKill9GoOnWhereTheyStopped() throws Exception {
    try (DurableNodeProcess node = new DurableNodeProcess(dir, "");
        RawSessionSubscriber out = new RawSessionSubscriber("out", 10);
        RawSessionSubscriber in = new RawSessionSubscriber("in", 10)) {
      node.start();
      out.connect(node.mqttPort(), true);
      out.subscribe("h/out", 2);
      in.connect(node.mqttPort(), true);
      in.subscribe("h/in", 2);
      in.disconnect();

      int inboundId;
      int outboundId;
      try (RawClient pub = RawClient.open(ClusterFixture.HOST, node.mqttPort(), MqttVersion.MQTT_5)) {
        pub.connect("pub", true, 0, RawClient.sessionExpiry(3600));
        // Outbound: the subscriber answers PUBREC, gets PUBREL and has not sent PUBCOMP.
        int outId = pub.publish("h/out", 2, false, Clients.bytes("out-0"));
        assertEquals(PacketType.PUBREC, pub.expect(PubResponse.class).type());
        pub.send(RawClient.ack(PacketType.PUBREL, outId));
        assertEquals(PacketType.PUBCOMP, pub.expect(PubResponse.class).type());
        Publish delivered = out.raw().expect(Publish.class);
        outboundId = delivered.packetId();
        out.hold();
        out.raw().send(RawClient.ack(PacketType.PUBREC, outboundId));
        PubResponse rel = out.raw().expect(PubResponse.class);
        assertEquals(PacketType.PUBREL, rel.type());
        // Inbound: the publisher got PUBREC and has not sent PUBREL.
        inboundId = pub.publish("h/in", 2, false, Clients.bytes("in-0"));
        PubResponse rec = pub.expect(PubResponse.class);
        assertEquals(PacketType.PUBREC, rec.type());
        assertEquals(inboundId, rec.packetId());
        node.kill9();
      }

      node.start();
      assertTrue(out.connect(node.mqttPort(), false), "Session Present after the restart");
      PubResponse rel = out.raw().expect(PubResponse.class);
      assertEquals(PacketType.PUBREL, rel.type(), "the PUBREL again, not the PUBLISH");
      assertEquals(outboundId, rel.packetId());
      out.raw().send(RawClient.ack(PacketType.PUBCOMP, outboundId));
      MqttPacket more = out.raw().read(QUIET);
      assertTrue(more == null, "nothing else for the outbound exchange: " + more);

      try (RawClient pub = RawClient.open(ClusterFixture.HOST, node.mqttPort(), MqttVersion.MQTT_5)) {
        assertTrue(pub.connect("pub", false, 0, RawClient.sessionExpiry(3600)).sessionPresent());
        pub.send(RawClient.ack(PacketType.PUBREL, inboundId));
        PubResponse comp = pub.expect(PubResponse.class);
        assertEquals(PacketType.PUBCOMP, comp.type());
        assertEquals(inboundId, comp.packetId());
        assertEquals(ReasonCode.SUCCESS, comp.reasonCode(), "the packet id was kept");
      }
      assertTrue(in.connect(node.mqttPort(), false), "Session Present after the restart");
      in.readUntil(() -> false, QUIET, BOUND);
      assertEquals(1, in.receipts.total(), "the inbound message once: " + in.log);
      assertTrue(in.receipts.has("in-0"));
    }
  }

  /**
   * A QoS 1 and a QoS 2 publisher on the node until each has {@link #BEFORE_KILL} messages
   * acknowledged; then kill -9 while they still send. Returns the stopped publishers.
   */
  private static List<NumberedPublisher> publishUntilKilled(DurableNodeProcess node)
      throws Exception {
    NumberedPublisher q1 = NumberedPublisher.connect("q1", ClusterFixture.HOST, node.mqttPort(),
        "k/1/q1", MqttQos.AT_LEAST_ONCE).start(100, 5000, BOUND);
    NumberedPublisher q2 = NumberedPublisher.connect("q2", ClusterFixture.HOST, node.mqttPort(),
        "k/2/q2", MqttQos.EXACTLY_ONCE).start(100, 5000, BOUND);
    await(BOUND, () -> q1.acked().size() >= BEFORE_KILL && q2.acked().size() >= BEFORE_KILL,
        "the publishers acknowledged " + BEFORE_KILL + " each");
    node.kill9();
    q1.close(Duration.ofSeconds(1));
    q2.close(Duration.ofSeconds(1));
    assertTrue(q1.sent() > q1.acked().size() || q2.sent() > q2.acked().size(),
        "killed mid-stream: some publishes were never acknowledged");
    return List.of(q1, q2);
  }

  /**
   * Reads until every acknowledged message is in (or quiet); asserts none missing, no QoS 2
   * message twice, and each publisher's messages first arrived in publish order.
   */
  private static void assertEverythingAcknowledgedArrives(
      RawSessionSubscriber sub, List<NumberedPublisher> pubs) {
    sub.readUntil(() -> pubs.stream().allMatch(p -> sub.receipts.missing(p.name(),
        p.acked()).isEmpty()), QUIET, BOUND);
    for (NumberedPublisher p : pubs) {
      Set<Integer> acked = p.acked();
      assertTrue(acked.size() >= BEFORE_KILL, p.name() + " acked " + acked.size());
      assertEquals(List.of(), sub.receipts.missing(p.name(), acked),
          p.name() + ": acknowledged, never delivered (outcomes " + p.outcomes() + ")");
      assertEquals(List.of(), sub.outOfOrder(p.name()), p.name() + ": out of order");
    }
    assertEquals(0, sub.qos2.duplicates(), "QoS 2 delivered twice");
  }
}

package io.simqtt.peer;

import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.PacketType;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.RawClient;
import io.simqtt.core.metrics.DropReason;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client "sub" leaves four messages in flight on n1, where it connected as alice, who may read
 * home/#: a QoS 1 PUBLISH of home/secret/1 not acknowledged, a QoS 2 one of home/secret/2 it sent
 * PUBREC for (PUBREL came back, PUBCOMP not sent), a QoS 2 PUBLISH of home/secret/3 not
 * acknowledged, and a QoS 1 PUBLISH of home/open not acknowledged; home/secret/4 then queues
 * while it is offline, never sent. It connects to n2 as bob, who may not read home/secret/...:
 * the session moves with its in-flight window, and n2 checks it against bob's rules before
 * CONNACK. What was in flight was judged when first sent and its delivery has begun: the session
 * resumes it as MQTT requires ([MQTT-4.4.0-1]), the PUBREL and every unacknowledged PUBLISH
 * again with DUP and its original packet id (a dropped QoS 2 one would leave the client holding
 * its id, [MQTT-4.3.3-10]); the queued home/secret/4 bob may not read is dropped, counted.
 * Before, n2 dropped the unacknowledged secret PUBLISHes too.
 */
@Timeout(60)
class HandedOverInflightAclTest {
  private static final int N1 = 0;
  private static final int N2 = 1;
  private static final Duration QUIET = Duration.ofMillis(500);

  @TempDir Path dir;

  @Test
  void aMovedSessionResumesWhatIsInFlightAndDropsWhatItQueuesTheClaimingConnectionMayNotRead()
      throws Exception {
    try (ClusterFixture cluster = ClusterFixture.start(2, HomeAcl.settings(dir))) {
      Map<Integer, String> sent = new HashMap<>();
      try (RawClient sub = as(cluster, N1, "alice", true);
          RawClient carol = as(cluster, N1, "carol", true)) {
        assertEquals(List.of(2), sub.subscribe("home/#", 2));
        publish(carol, "home/secret/1", 1);
        received(sub, sent);
        publish(carol, "home/secret/2", 2);
        int released = received(sub, sent);
        sub.send(RawClient.ack(PacketType.PUBREC, released));
        assertEquals(PacketType.PUBREL, sub.expect(PubResponse.class).type());
        publish(carol, "home/secret/3", 2);
        received(sub, sent);
        publish(carol, "home/open", 1);
        received(sub, sent);
        sub.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
        assertTrue(sub.closedWithin(ClusterFixture.WAIT));
        publish(carol, "home/secret/4", 1);
      }

      long dropped = cluster.broker(N2).metrics().drops(DropReason.NOT_AUTHORIZED);
      try (RawClient sub = as(cluster, N2, "bob", false)) {
        List<String> got = new ArrayList<>();
        MqttPacket p;
        while ((p = sub.poll(QUIET)) != null) {
          if (p instanceof Publish pub) {
            got.add("PUBLISH " + pub.topic() + (pub.dup() ? " dup " : " ")
                + (pub.topic().equals(sent.get(pub.packetId())) ? "same id" : "new id"));
          } else if (p instanceof PubResponse r) {
            got.add(r.type() + " of " + sent.get(r.packetId()));
          }
        }
        assertEquals(
            List.of(
                "PUBREL of home/secret/2",
                "PUBLISH home/secret/1 dup same id",
                "PUBLISH home/secret/3 dup same id",
                "PUBLISH home/open dup same id"),
            got,
            "what was in flight is resumed; what queued that bob may not read is not sent");
        assertEquals(dropped + 1, cluster.broker(N2).metrics().drops(DropReason.NOT_AUTHORIZED),
            "the queued home/secret/4 bob may not read, dropped on n2");
      }
    }
  }

  /** The next PUBLISH {@code sub} gets, left unacknowledged: notes its id and returns it. */
  private static int received(RawClient sub, Map<Integer, String> sent) {
    Publish p = sub.expect(Publish.class);
    sent.put(p.packetId(), p.topic());
    return p.packetId();
  }

  /** Client "sub" (or a publisher named after its user) connects to {@code node} as {@code user}. */
  private static RawClient as(ClusterFixture cluster, int node, String user, boolean cleanStart) {
    String id = user.equals("carol") ? "carol" : "sub";
    RawClient c = RawClient.open(ClusterFixture.HOST, cluster.mqttPort(node), MqttVersion.MQTT_5);
    Connect base = RawClient.connectPacket(
        MqttVersion.MQTT_5, id, cleanStart, 60, RawClient.sessionExpiry(3600));
    MqttPacket.ConnAck ack = c.connect(new Connect(
        base.version(), cleanStart, 60, id, null, user, null, base.properties()));
    assertEquals(ReasonCode.SUCCESS, ack.reasonCode(), user);
    assertEquals(!cleanStart, ack.sessionPresent(), user + ": Session Present");
    return c;
  }

  /** Publishes one message and finishes its handshake (QoS 1 or 2). */
  private static void publish(RawClient publisher, String topic, int qos) {
    int id = publisher.publish(topic, qos, false, bytes("x"));
    assertEquals(ReasonCode.SUCCESS, publisher.expect(PubResponse.class).reasonCode(), topic);
    if (qos == 2) {
      publisher.send(RawClient.ack(PacketType.PUBREL, id));
      assertEquals(PacketType.PUBCOMP, publisher.expect(PubResponse.class).type(), topic);
    }
  }
}

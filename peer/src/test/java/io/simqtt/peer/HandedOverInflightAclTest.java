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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client "sub" leaves three messages in flight on n1, where it connected as alice, who may read
 * home/#: a QoS 1 PUBLISH of home/secret/... not acknowledged, a QoS 2 one of home/secret/... it
 * sent PUBREC for (PUBREL came back, PUBCOMP not sent), and a QoS 1 PUBLISH of home/open not
 * acknowledged. It then connects to n2 as bob, who may not read home/secret/...: the session
 * moves with its in-flight window, and n2 checks it against bob's rules before CONNACK. The
 * unacknowledged home/secret/ PUBLISH is dropped (counted), the QoS 2 handshake the client is in
 * goes on with its PUBREL, and home/open is sent again. Before, n2 checked only the queue and
 * resent the secret PUBLISH.
 */
@Timeout(60)
class HandedOverInflightAclTest {
  private static final int N1 = 0;
  private static final int N2 = 1;
  private static final Duration QUIET = Duration.ofMillis(500);

  @TempDir Path dir;

  @Test
  void aMovedSessionsInflightPublishesAreCheckedAgainstTheClaimingConnectionsRules()
      throws Exception {
    Path acl = Files.writeString(dir.resolve("acl"), """
        user alice
        topic read home/#
        user bob
        topic read home/#
        topic deny home/secret/#
        user carol
        topic write home/#
        """);
    try (ClusterFixture cluster =
            ClusterFixture.start(2, "mqtt.auth.acl-file = \"" + acl + "\"\n")) {
      int released;
      try (RawClient sub = as(cluster, N1, "alice", true);
          RawClient carol = as(cluster, N1, "carol", true)) {
        assertEquals(List.of(2), sub.subscribe("home/#", 2));
        publish(carol, "home/secret/1", 1);
        assertEquals("home/secret/1", sub.expect(Publish.class).topic());
        publish(carol, "home/secret/2", 2);
        Publish q2 = sub.expect(Publish.class);
        assertEquals("home/secret/2", q2.topic());
        released = q2.packetId();
        sub.send(RawClient.ack(PacketType.PUBREC, released));
        assertEquals(PacketType.PUBREL, sub.expect(PubResponse.class).type());
        publish(carol, "home/open", 1);
        assertEquals("home/open", sub.expect(Publish.class).topic());
        sub.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
        assertTrue(sub.closedWithin(ClusterFixture.WAIT));
      }

      long dropped = cluster.broker(N2).metrics().drops(DropReason.NOT_AUTHORIZED);
      try (RawClient sub = as(cluster, N2, "bob", false)) {
        List<String> got = new ArrayList<>();
        MqttPacket p;
        while ((p = sub.poll(QUIET)) != null) {
          if (p instanceof Publish pub) {
            got.add("PUBLISH " + pub.topic());
          } else if (p instanceof PubResponse r) {
            got.add(r.type() + " " + (r.packetId() == released ? "of home/secret/2" : "?"));
          }
        }
        assertEquals(List.of("PUBREL of home/secret/2", "PUBLISH home/open"), got,
            "what bob may not read is not sent again; the QoS 2 handshake the client is in goes on");
        assertEquals(dropped + 1, cluster.broker(N2).metrics().drops(DropReason.NOT_AUTHORIZED),
            "the unacknowledged PUBLISH bob may not read, dropped on n2");
      }
    }
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

package io.simqtt.peer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.RawClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The ACL holds across nodes: what a subscriber may not read does not reach it from a peer. */
@Timeout(60)
class CrossNodeAclTest {
  @TempDir Path dir;

  private static RawClient as(ClusterFixture cluster, int node, String id, String user) {
    RawClient c = RawClient.open(ClusterFixture.HOST, cluster.mqttPort(node), MqttVersion.MQTT_5);
    Connect base = RawClient.connectPacket(MqttVersion.MQTT_5, id, true, 60, null);
    Connect named = new Connect(base.version(), true, 60, id, null, user, null, base.properties());
    assertEquals(ReasonCode.SUCCESS, c.connect(named).reasonCode());
    return c;
  }

  @Test
  void aMessageFromAPeerIsWithheldFromASubscriberWhoMayNotReadIt() throws Exception {
    Path acl = Files.writeString(dir.resolve("acl"), """
        user alice
        topic read home/#
        topic deny home/secret/#
        user carol
        topic write home/#
        """);
    try (ClusterFixture cluster =
            ClusterFixture.start(2, "mqtt.auth.acl-file = \"" + acl + "\"\n");
        RawClient alice = as(cluster, 1, "alice-n2", "alice");
        RawClient carol = as(cluster, 0, "carol-n1", "carol")) {
      assertEquals(List.of(1), alice.subscribe("home/#", 1));
      cluster.awaitRoute(0, "home/a/temp", 1);
      for (String topic : List.of("home/secret/code", "home/a/temp")) {
        carol.publish(topic, 1, false, "x".getBytes(UTF_8));
        assertEquals(ReasonCode.SUCCESS, carol.expect(PubResponse.class).reasonCode(), topic);
      }
      List<String> got = new ArrayList<>();
      MqttPacket p;
      while ((p = alice.poll(Duration.ofMillis(500))) != null) {
        if (p instanceof Publish pub) {
          got.add(pub.topic());
          alice.puback(pub.packetId());
        }
      }
      assertEquals(List.of("home/a/temp"), got);
    }
  }
}

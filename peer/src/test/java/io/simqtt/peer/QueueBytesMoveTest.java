package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.disconnectQuietly;
import static io.simqtt.peer.ClusterClients.connect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.Clients;
import io.simqtt.core.it.RawClient;
import io.simqtt.core.metrics.DropReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A session's queue moves between nodes with its bytes: the new owner counts what came against
 * mqtt.sessions.max-queued-bytes as its own. Messages of 6 bytes each (topic "b/t", payload
 * "mNN"), a bound of five of them, drop-new.
 */
@Timeout(60)
class QueueBytesMoveTest {
  private static final Duration QUIET = Duration.ofMillis(500);

  @Test
  void theNewOwnerCountsTheBytesOfTheQueueThatCame() throws Exception {
    try (ClusterFixture cluster =
        ClusterFixture.start(2, "mqtt.sessions.max-queued-bytes = 30B\n")) {
      try (RawClient x = cluster.raw(0, MqttVersion.MQTT_5)) {
        x.connect("mv", true, 60, RawClient.sessionExpiry(300));
        x.subscribe("b/t", 1);
        x.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
        assertTrue(x.closedWithin(Duration.ofSeconds(3)));
      }
      publish(cluster, 0, 1, 6);
      await(ClusterFixture.WAIT, () -> drops(cluster, 0) == 1, "m06 dropped on n1");
      assertEquals(5, cluster.queuedAt(0, "mv"));

      try (RawClient x = cluster.raw(1, MqttVersion.MQTT_5)) {
        MqttProperties p = RawClient.sessionExpiry(300);
        p.receiveMaximum = 1;
        assertTrue(x.connect("mv", false, 60, p).sessionPresent(), "the session came to n2");
        Publish first = x.expect(Publish.class, RawClient.WAIT);
        assertEquals("m01", Clients.text(first.payload()));
        // m01 in flight, not acknowledged: m02 to m05 (24 bytes) queued on n2, room for one.
        publish(cluster, 1, 7, 8);
        await(ClusterFixture.WAIT, () -> drops(cluster, 1) == 1, "m08 dropped on n2");

        List<String> rest = new ArrayList<>();
        x.puback(first.packetId());
        Publish next;
        while ((next = (Publish) x.read(QUIET)) != null) {
          rest.add(Clients.text(next.payload()));
          x.puback(next.packetId());
        }
        assertEquals(List.of("m02", "m03", "m04", "m05", "m07"), rest);
        assertNull(x.read(QUIET));
      }
      assertEquals(1, drops(cluster, 1));
    }
  }

  private static long drops(ClusterFixture cluster, int node) {
    return cluster.broker(node).metrics().drops(DropReason.QUEUE_BYTES_FULL);
  }

  private static void publish(ClusterFixture cluster, int node, int from, int to) {
    Mqtt5BlockingClient pub = connect(cluster, node, "pub-" + node);
    try {
      for (int i = from; i <= to; i++) {
        pub.publishWith().topic("b/t").qos(MqttQos.AT_LEAST_ONCE)
            .payload(bytes(String.format("m%02d", i))).send();
      }
    } finally {
      disconnectQuietly(pub);
    }
  }
}

package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.RawClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node stopped on purpose says Goodbye: its sessions end with it (they are in memory), so its
 * clients reconnecting elsewhere get a session at once instead of 0x88 until the node would be
 * declared dead.
 */
@Timeout(60)
class GracefulStopTest extends FreshClusterTest {

  @Test
  void clientsOfAStoppedNodeGetASessionElsewhereAtOnce() {
    try (RawClient x = cluster.raw(C, MqttVersion.MQTT_5)) {
      x.connect("gs-x", true, 60, RawClient.sessionExpiry(300));
      assertEquals(List.of(1), x.subscribe("gs/t", 1));
    }
    cluster.stop(C);
    // Gone, and its Goodbye handled: the two come on different streams, in either order.
    await(ClusterFixture.WAIT,
        () -> !"UP".equals(cluster.cluster(A).linkStates().get("n3"))
            && !cluster.cluster(A).hasSuspectPeers(),
        () -> "n1 sees n3 gone; " + cluster.linkStates());

    long t0 = System.nanoTime();
    try (RawClient x = cluster.raw(A, MqttVersion.MQTT_5)) {
      ConnAck ack = x.connect("gs-x", false, 60, RawClient.sessionExpiry(300));
      long millis = (System.nanoTime() - t0) / 1_000_000;
      assertEquals(ReasonCode.SUCCESS, ack.reasonCode(),
          "n3 said Goodbye: nobody waits for it (dead-after is 30 s)");
      assertFalse(ack.sessionPresent(), "the session ended with n3");
      assertTrue(millis < Duration.ofSeconds(2).toMillis(), "at once: " + millis + " ms");
    }
  }
}

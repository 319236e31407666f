package io.simqtt.peer;

import static io.simqtt.core.it.Clients.awaitValue;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.simqtt.core.it.Clients;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Retained writes pour into a peer link that takes bytes slowly, with a small budget: the
 * frames waiting for the peer stay within cluster.max-link-backlog because the link starts
 * over (counted) instead of holding them, and once the peer reads again every retained message
 * is there, from the snapshot the new link sends frame by frame.
 */
@Timeout(120)
class ControlBacklogTest {
  private static final int A = 0;
  private static final int B = 1;
  private static final int TOPICS = 8000;

  @Test
  void aFloodOfRetainedWritesRestartsTheLinkInsteadOfPilingUp() throws Exception {
    // The long keep alive keeps heartbeats from ending the slow link first.
    try (ClusterFixture cluster = ClusterFixture.startProxied(2, """
        cluster.max-link-backlog = 1MiB
        cluster.keep-alive-timeout = 30s
        mqtt.sys.interval = 0
        """)) {
      Mqtt5BlockingClient pub = ClusterClients.connect(cluster, A, "cb-pub");
      cluster.proxy(A, B).mode(FaultProxy.Mode.delay(2000));
      byte[] payload = new byte[2048];
      for (int i = 0; i < TOPICS; i++) {
        pub.publishWith().topic("cb/" + i).qos(MqttQos.AT_MOST_ONCE).retain(true)
            .payload(payload).send();
      }
      Clients.disconnectQuietly(pub);
      awaitValue(TOPICS, () -> cluster.broker(A).retained().size(), Duration.ofSeconds(30),
          "retained messages on n1");
      long resyncs = cluster.cluster(A).linkStats().get(0).resyncs();
      assertTrue(resyncs >= 1, "the link to n2 started over at least once: " + resyncs);

      cluster.proxy(A, B).mode(FaultProxy.Mode.PASS);
      awaitValue(TOPICS, () -> cluster.broker(B).retained().size(), Duration.ofSeconds(60),
          "retained messages on n2");
    }
  }
}

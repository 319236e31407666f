package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.disconnectQuietly;
import static io.simqtt.core.it.Clients.hiveConnected;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.simqtt.core.codec.MqttPacket.Subscription;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.it.RawClient;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Nothing a client may send can poison a peer link: gRPC refuses any frame over its inbound
 * limit and fails the whole stream, again on every reconnect. With max-packet-size raised to
 * 8 MiB, a 6 MB message crosses as a forward and as a retained write, and a route snapshot far
 * over gRPC's default 4 MiB (100,000 filters) reaches a restarted peer.
 */
@Timeout(120)
class LargeFramesTest {
  private static final int A = 0;
  private static final int B = 1;
  private static final int SIX_MB = 6 * 1024 * 1024;

  private ClusterFixture cluster;

  @BeforeEach
  void start() {
    cluster = ClusterFixture.start(2, """
        mqtt.limits.max-packet-size = 8MiB
        mqtt.limits.max-subscriptions-per-client = 200000
        """);
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void aSixMegabyteMessageCrossesAsAForwardAndAsARetainedWrite() throws Exception {
    byte[] big = new byte[SIX_MB];
    new Random(1).nextBytes(big);
    Mqtt5BlockingClient sub = hiveConnected(cluster.hive(B, "lf-sub"));
    Mqtt5BlockingClient pub = hiveConnected(cluster.hive(A, "lf-pub"));
    try (Mqtt5BlockingClient.Mqtt5Publishes inbox =
        sub.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL)) {
      sub.subscribeWith().topicFilter("lf/#").qos(MqttQos.AT_LEAST_ONCE).send();
      cluster.awaitRoute(A, "lf/x", B);
      pub.publishWith().topic("lf/x").qos(MqttQos.AT_LEAST_ONCE).retain(true).payload(big).send();
      Optional<Mqtt5Publish> got = inbox.receive(30, java.util.concurrent.TimeUnit.SECONDS);
      assertTrue(got.isPresent(), "the 6 MB message reached the subscriber on n2");
      assertArrayEquals(big, got.get().getPayloadAsBytes());
      await(ClusterFixture.WAIT, () -> cluster.broker(B).retained().get("lf/x") != null,
          () -> "the retained 6 MB message replicated to n2");
      assertArrayEquals(big, cluster.broker(B).retained().get("lf/x").payload());
      assertEquals("UP", cluster.cluster(A).linkStates().get("n2"), "the link stayed up");
      assertEquals("UP", cluster.cluster(B).linkStates().get("n1"), "the link stayed up");
    } finally {
      disconnectQuietly(sub);
      disconnectQuietly(pub);
    }
  }

  @Test
  void aRouteSnapshotOfAHundredThousandFiltersReachesARestartedPeer() {
    int filters = 100_000;
    try (RawClient c = cluster.raw(A, MqttVersion.MQTT_5)) {
      c.connect("lf-many", true, 60, RawClient.sessionExpiry(3600));
      // One SUBSCRIBE per 1,000 filters of ~40 bytes each: 4 MB of routes in all.
      for (int batch = 0; batch < filters / 1000; batch++) {
        Subscription[] subs = new Subscription[1000];
        for (int i = 0; i < subs.length; i++) {
          subs[i] = new Subscription(
              String.format("lf/route/%08d/with/some/extra/levels", batch * 1000 + i),
              0, false, false, 0);
        }
        c.subscribe(batch + 1, 0, subs);
      }
      String first = String.format("lf/route/%08d/with/some/extra/levels", 0);
      String last = String.format("lf/route/%08d/with/some/extra/levels", filters - 1);
      cluster.awaitRoute(B, last, A);
      cluster.awaitRoute(B, first, A);

      cluster.restart(B);
      cluster.awaitLinksUp(Duration.ofSeconds(30));
      // A snapshot is applied whole once its last part is in, one route at a time.
      await(Duration.ofSeconds(30),
          () -> cluster.routes(B, last, A) && cluster.routes(B, first, A),
          () -> "the restarted n2 got n1's 100,000 routes; n2 knows "
              + cluster.cluster(B).linkStats());
      assertEquals(filters, cluster.cluster(B).linkStats().get(0).remoteRoutes());
    }
  }
}

package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.disconnectQuietly;
import static io.simqtt.core.it.Clients.hiveConnected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A slow peer link (every byte n1 sends n2 is delayed) with a small budget: the publisher on n1
 * is slowed, not acknowledged and then dropped. Every PUBACKed message reaches the subscriber on
 * n2 and the link drops nothing.
 */
@Timeout(120)
class LinkBackpressureTest {
  private static final int A = 0;
  private static final int B = 1;
  private static final int MESSAGES = 1000;
  private static final int PAYLOAD = 8 * 1024;

  private ClusterFixture cluster;

  @BeforeEach
  void start() {
    // 1 MiB is about 128 of these messages; the keep alive is long so the delay is not a death.
    cluster = ClusterFixture.startProxied(2, """
        cluster.max-link-backlog = 1MiB
        cluster.keep-alive-timeout = 30s
        """);
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void aSlowLinkSlowsThePublisherAndLosesNothing() throws Exception {
    Mqtt5BlockingClient sub = hiveConnected(cluster.hive(B, "bp-sub"));
    Mqtt5AsyncClient pub = hiveConnected(cluster.hive(A, "bp-pub")).toAsync();
    try (Mqtt5BlockingClient.Mqtt5Publishes inbox = sub.publishes(MqttGlobalPublishFilter.ALL)) {
      sub.subscribeWith().topicFilter("bp/t").qos(MqttQos.AT_LEAST_ONCE).send();
      cluster.awaitRoute(A, "bp/t", B);
      cluster.proxy(A, B).mode(FaultProxy.Mode.delay(300));

      List<CompletableFuture<Mqtt5PublishResult>> acks = new ArrayList<>();
      for (int i = 0; i < MESSAGES; i++) {
        ByteBuffer payload = ByteBuffer.allocate(PAYLOAD).putInt(0, i);
        acks.add(pub.publishWith().topic("bp/t").qos(MqttQos.AT_LEAST_ONCE).payload(payload)
            .send());
      }
      CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      for (CompletableFuture<Mqtt5PublishResult> a : acks) {
        assertTrue(a.join().getError().isEmpty(), "every publish acknowledged: " + a.join());
      }
      cluster.proxy(A, B).mode(FaultProxy.Mode.PASS);

      BitSet got = new BitSet(MESSAGES);
      while (got.cardinality() < MESSAGES) {
        Optional<Mqtt5Publish> p = inbox.receive(10, TimeUnit.SECONDS);
        assertTrue(p.isPresent(), "all " + MESSAGES + " arrive; missing "
            + (MESSAGES - got.cardinality()));
        got.set(p.get().getPayloadAsBytes().length == PAYLOAD
            ? ByteBuffer.wrap(p.get().getPayloadAsBytes()).getInt(0) : -1);
      }
      long slowed = cluster.broker(A).metrics().publishersSlowed();
      assertTrue(slowed > 0, "the publisher was slowed at least once");
      PeerLinkStats link = cluster.cluster(A).linkStats().get(0);
      assertEquals(0, link.droppedQueueFull() + link.droppedLinkDown(), "nothing dropped: " + link);
      await(Duration.ofSeconds(10), () -> cluster.cluster(A).linkStats().get(0).unacked() == 0,
          () -> "the link holds nothing once acknowledged");
    } finally {
      disconnectQuietly(sub);
      pub.disconnect();
    }
  }
}

package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.Clients;
import io.simqtt.core.it.RawClient;
import java.time.Duration;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * n3 goes silent (every link to and from it black-holed), on manual time with the default
 * keep-alive (2 s interval, 3 s timeout) and dead-after (30 s).
 *
 * <p>A link is given up when nothing was heard on it for longer than interval + timeout, checked
 * once per interval (the dialer) or per quarter of that (the receiver). Since a healthy link is
 * heard at least once per interval, n1 still reports n3 UP {@code timeout} after the silence
 * began (nothing has been silent for more than interval + timeout yet), and reports it down one
 * interval after that can first be the case. {@link FrozenPeerTest} is the same over TCP
 * proxies and real time.
 */
@Timeout(60)
class PeerHeartbeatTest {
  private static final int A = 0;
  private static final int B = 1;
  private static final int C = 2;
  private static final Duration INTERVAL = Duration.ofSeconds(2);
  private static final Duration TIMEOUT = Duration.ofSeconds(3);
  private static final Duration DEAD_AFTER = Duration.ofSeconds(30);
  private static final String SHARED = "hb/shared";
  private static final String PLAIN = "hb/plain";

  private ClusterFixture cluster;

  @BeforeEach
  void start() {
    cluster = ClusterFixture.startInProcess(3, "");
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void aSilentPeerIsDownAfterTheKeepAliveNotBeforeNotWaitedForAndDeadAfterDeadAfter() {
    try (RawClient memberB = cluster.raw(B, MqttVersion.MQTT_5);
        RawClient memberC = cluster.raw(C, MqttVersion.MQTT_5)) {
      memberB.connect("hb-member-b");
      memberB.subscribe("$share/hb/" + SHARED, 1);
      memberC.connect("hb-member-c");
      memberC.subscribe("$share/hb/" + SHARED, 1);
      memberC.subscribe(PLAIN, 1);
      cluster.awaitRoute(A, SHARED, B);
      cluster.awaitRoute(A, SHARED, C);
      cluster.awaitRoute(A, PLAIN, C);

      cluster.isolate(C);
      cluster.advance(TIMEOUT);
      assertEquals("UP", cluster.cluster(A).linkStates().get("n3"),
          "n1 still reports n3 UP " + TIMEOUT + " into its silence: " + cluster.linkStates());

      cluster.advance(INTERVAL.plus(INTERVAL));
      await(ClusterFixture.WAIT,
          () -> !"UP".equals(cluster.cluster(A).linkStates().get("n3"))
              && !"UP".equals(cluster.cluster(B).linkStates().get("n3")),
          () -> "n1 and n2 report n3 down " + TIMEOUT.plus(INTERVAL).plus(INTERVAL)
              + " into its silence: " + cluster.linkStates());

      // Down, so a connect does not wait for n3: answered without the clock moving.
      try (RawClient fresh = cluster.raw(A, MqttVersion.MQTT_5)) {
        assertEquals(ReasonCode.SUCCESS, fresh.connect(RawClient.connectPacket(
            MqttVersion.MQTT_5, "hb-new", true, 60, null)).reasonCode());
      }

      // Down, so n3's member is not chosen: everything reaches the member on n2.
      int messages = 20;
      Mqtt5BlockingClient pub = ClusterClients.connect(cluster, A, "hb-pub");
      for (int i = 0; i < messages; i++) {
        pub.publishWith().topic(SHARED).qos(MqttQos.AT_LEAST_ONCE).payload(bytes("hb-" + i))
            .send();
      }
      Clients.disconnectQuietly(pub);
      TreeSet<Integer> got =
          ClusterClients.receiveNumbered(memberB, "hb-", messages, ClusterClients.QUIET);
      assertEquals(IntStream.range(0, messages).boxed().collect(Collectors.toSet()), got,
          "the member on n2 gets every message");

      // Down is not dead: n3's ordinary routes stay (its QoS 1/2 forwards wait for it) until
      // dead-after has passed since it was found down (at the earliest TIMEOUT in).
      cluster.advance(DEAD_AFTER.minus(INTERVAL).minus(INTERVAL));
      assertTrue(cluster.routes(A, PLAIN, C), "n1 still routes to n3 before dead-after");
      cluster.advance(INTERVAL.plus(INTERVAL).plus(INTERVAL));
      cluster.awaitNoRoute(A, PLAIN, C);
    }
  }
}

package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.Clients;
import io.simqtt.core.it.RawClient;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A persistent session moves from n1 to n2; n3's publisher still routes to n1 for a while, and
 * nothing n3 sends reaches n2 directly (that direction black-holed, in-process). What reaches
 * n1 follows the session to n2 as redirects, each message once, until {@code
 * cluster.redirect-time} is over and every peer is settled; then n1 lets the session go and
 * stops advertising it.
 *
 * <p>The redirect time itself runs on the session's event loop in core (real time; core's
 * session timers are not injected), so it is short here and its end is awaited; the links,
 * claims and the "settled" check run on manual time.
 */
@Timeout(60)
class RedirectWindowTest {
  private static final int A = 0;
  private static final int B = 1;
  private static final int C = 2;
  private static final String CLIENT = "rd-x";
  private static final String TOPIC = "rd/t";
  private static final int MESSAGES = 10;

  private ClusterFixture cluster;

  @BeforeEach
  void start() {
    cluster = ClusterFixture.startInProcess(3, "cluster.redirect-time = 2s");
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void whatReachesTheOldOwnerFollowsTheSessionUntilTheRedirectTimeEnds() {
    try (RawClient x = cluster.raw(A, MqttVersion.MQTT_5)) {
      x.connect(CLIENT, true, 600, RawClient.sessionExpiry(3600));
      assertEquals(List.of(1), x.subscribe(TOPIC, 1));
      x.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
      assertTrue(x.closedWithin(ClusterFixture.WAIT));
    }
    cluster.awaitRoute(C, TOPIC, A);
    try (RawClient x = cluster.raw(B, MqttVersion.MQTT_5)) {
      ConnAck moved = x.connect(RawClient.connectPacket(
          MqttVersion.MQTT_5, CLIENT, false, 600, RawClient.sessionExpiry(3600)));
      assertEquals(ReasonCode.SUCCESS, moved.reasonCode());
      assertTrue(moved.sessionPresent(), "the session moved to n2");
      // Connected first: a CONNECT on n3 asks n2 too, and would wait for it.
      Mqtt5BlockingClient pub = ClusterClients.connect(cluster, C, "rd-pub");
      cluster.network().blackHoleOneWay("n3", "n2");
      assertTrue(cluster.routes(C, TOPIC, A), "n3 still routes to n1 within the redirect time");

      for (int i = 0; i < MESSAGES; i++) {
        pub.publishWith().topic(TOPIC).qos(MqttQos.AT_LEAST_ONCE).payload(bytes("rd-" + i))
            .send();
      }
      Clients.disconnectQuietly(pub);
      List<String> got =
          ClusterClients.payloads(ClusterClients.receiveAndAck(x, ClusterClients.QUIET));
      ClusterClients.assertNoDuplicates(got, CLIENT);
      TreeSet<Integer> numbers = got.stream().map(p -> Integer.parseInt(p.substring(3)))
          .collect(Collectors.toCollection(TreeSet::new));
      assertEquals(IntStream.range(0, MESSAGES).boxed().collect(Collectors.toSet()), numbers,
          "everything n3 sent to n1 reached the session on n2, redirected");

      // Redirect time over, every peer settled: n1 lets go and stops advertising the session.
      await(ClusterFixture.WAIT, () -> cluster.broker(A).sessions().get(CLIENT) == null,
          () -> "n1 lets the moved session go after the redirect time");
      cluster.awaitNoRoute(C, TOPIC, A);
    }
  }
}

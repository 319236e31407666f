package io.simqtt.peer;

import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.RawClient;
import io.simqtt.core.metrics.DropReason;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client "sub" moves n1 to n2 to n3 and connects as alice on n1 and n3, who may read home/#, but
 * as bob on n2, who may not read home/secret/...; n1 and n2 keep its redirects. A publisher on n1
 * sends after the last move, while nothing n1 sends reaches n3 directly (that direction
 * black-holed, in-process): what n1 routes to sub goes n1 to n2 to n3, redirected, and the copy n1
 * forwards by route to n2's redirect goes on to n3 too. n2 only passes them on: n3, where sub is
 * connected as alice, judges them, and sub gets home/secret/... once. Before, n2 checked them
 * against bob's rules, its redirect's, and dropped both.
 */
@Timeout(60)
class RedirectChainAclTest {
  private static final int N1 = 0;
  private static final int N2 = 1;
  private static final int N3 = 2;

  @TempDir Path dir;

  @Test
  void aNodeThatOnlyPassesARedirectedDeliveryOnDoesNotJudgeIt() throws Exception {
    try (ClusterFixture cluster = ClusterFixture.startInProcess(3, HomeAcl.settings(dir))) {
      try (RawClient sub = connect(cluster, N1, "sub", "alice", true)) {
        assertEquals(List.of(1), sub.subscribe("home/#", 1));
        leave(sub);
      }
      cluster.awaitRoute(N2, "home/a", N1);
      try (RawClient sub = connect(cluster, N2, "sub", "bob", false)) {
        leave(sub);
      }
      // Connected before the black hole: a CONNECT on n1 asks n3 too, and would wait for it.
      try (RawClient carol = connect(cluster, N1, "carol", "carol", true);
          RawClient sub = connect(cluster, N3, "sub", "alice", false)) {
        cluster.network().blackHoleOneWay("n1", "n3");
        long droppedOnN2 = cluster.broker(N2).metrics().drops(DropReason.NOT_AUTHORIZED);
        for (String topic : List.of("home/secret/code", "home/open")) {
          carol.publish(topic, 1, false, bytes("x"));
          assertEquals(ReasonCode.SUCCESS, carol.expect(PubResponse.class).reasonCode(), topic);
        }
        List<String> got = ClusterClients.receiveAndAck(sub, ClusterClients.QUIET).stream()
            .map(Publish::topic).toList();
        assertEquals(List.of("home/secret/code", "home/open"), got,
            "n2 passes on what n3's connection may receive, once each");
        assertEquals(droppedOnN2, cluster.broker(N2).metrics().drops(DropReason.NOT_AUTHORIZED),
            "n2 judged nothing it passed on");
      }
    }
  }

  private static RawClient connect(
      ClusterFixture cluster, int node, String clientId, String user, boolean cleanStart) {
    RawClient c = cluster.raw(node, MqttVersion.MQTT_5);
    Connect base = RawClient.connectPacket(
        MqttVersion.MQTT_5, clientId, cleanStart, 600, RawClient.sessionExpiry(3600));
    ConnAck ack = c.connect(new Connect(
        base.version(), cleanStart, 600, clientId, null, user, null, base.properties()));
    assertEquals(ReasonCode.SUCCESS, ack.reasonCode(), clientId + " on n" + (node + 1));
    assertEquals(!cleanStart, ack.sessionPresent(), clientId + ": Session Present");
    return c;
  }

  private static void leave(RawClient c) {
    c.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
    assertTrue(c.closedWithin(ClusterFixture.WAIT));
  }
}

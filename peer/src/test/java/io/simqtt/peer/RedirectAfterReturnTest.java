package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.Clients;
import io.simqtt.core.it.RawClient;
import io.simqtt.core.metrics.DropReason;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Client "sub" moves from n2 to n3, to n4 and back to n3 within the redirect time, while n1 holds
 * a forward for it that n2 never acknowledged (n1 published while it routed "rr/t" to n2, and
 * nothing n1 sent reached n2). n1 sends the forward again once the link heals; n2's redirect
 * passes it on to n3, where it is the same session as the one that left n2, so the client gets
 * it. In-process links on manual time.
 */
@Timeout(60)
class RedirectAfterReturnTest {
  private static final int N1 = 0;
  private static final int N2 = 1;
  private static final int N3 = 2;
  private static final int N4 = 3;

  private final ClusterFixture cluster =
      ClusterFixture.startInProcess(4, "cluster.redirect-time = 60s\n");
  private RawClient sub;
  private RawClient pub;

  @AfterEach
  void stop() {
    if (sub != null) {
      sub.close();
    }
    if (pub != null) {
      pub.close();
    }
    cluster.close();
  }

  @Test
  void aForwardTheFirstOldNodeRedirectsReachesTheSessionBackOnTheNodeItLeft() {
    try (RawClient c = cluster.raw(N2, MqttVersion.MQTT_5)) {
      c.connect("sub", false, 0, RawClient.sessionExpiry(3600));
      assertEquals(List.of(1), c.subscribe("rr/t", 1));
    }
    cluster.awaitRoute(N1, "rr/t", N2);
    // Connected first: a CONNECT on n1 asks every peer about the client id, and would wait.
    pub = cluster.raw(N1, MqttVersion.MQTT_5);
    pub.connect("pub");
    cluster.network().blackHoleOneWay("n1", "n2");
    pub.publish("rr/t", 1, false, bytes("kept"));
    assertEquals(ReasonCode.SUCCESS, pub.expect(PubResponse.class).reasonCode());
    await("n1 holds the forward for n2", () -> unacked(N1, N2) == 1);

    for (int node : new int[] {N3, N4}) {
      try (RawClient moved = cluster.raw(node, MqttVersion.MQTT_5)) {
        assertTrue(moved.connect("sub", false, 0, RawClient.sessionExpiry(3600)).sessionPresent());
      }
    }
    sub = cluster.raw(N3, MqttVersion.MQTT_5);
    assertTrue(sub.connect("sub", false, 0, RawClient.sessionExpiry(3600)).sessionPresent());
    await("n2's session became a redirect",
        () -> cluster.broker(N2).sessions().get("sub").isMoved());

    cluster.network().heal("n1", "n2");
    cluster.advanceUntil(() -> unacked(N1, N2) == 0, ClusterFixture.MAX_RECONNECT,
        "n2 acknowledged the forward n1 sent again");
    cluster.advanceUntil(() -> unacked(N2, N3) == 0, ClusterFixture.MAX_RECONNECT,
        "n3 acknowledged what n2 redirected");
    List<String> got = ClusterClients.receiveAndAck(sub, ClusterClients.QUIET).stream()
        .map(Clients::text).toList();
    assertEquals(List.of("kept"), got);
    assertEquals(0, cluster.broker(N3).metrics().drops(DropReason.SESSION_GONE));
  }

  private long unacked(int from, int to) {
    return cluster.cluster(from).linkStats().stream()
        .filter(s -> s.peerId().equals(ClusterFixture.nodeId(to))).findFirst().orElseThrow()
        .unacked();
  }
}

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
 * Members "a" and "b" of $share/g/sh/t. Client a moved from n2 to n3 and ended there (its
 * connection closed with Session Expiry 0); n2 keeps a's redirect, still a member of the group
 * there. b is an offline member on n3, so no node routes the group to n3. A message published on
 * n2 goes to a's redirect, which sends it to n3, where a's session is gone: it goes to b (MQTT 5
 * 4.8.2), who gets it on coming back. Before, n3 dropped it, counted {@code session_gone}.
 * In-process links on manual time.
 */
@Timeout(60)
class SharedRedirectToEndedSessionTest {
  private static final int N2 = 1;
  private static final int N3 = 2;
  private static final String GROUP = "$share/g/sh/t";

  private ClusterFixture cluster;
  private RawClient pub;
  private RawClient b;

  @AfterEach
  void stop() {
    for (RawClient c : new RawClient[] {pub, b}) {
      if (c != null) {
        c.close();
      }
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aSharedMessageRedirectedToAnEndedSessionReachesAnotherMember() {
    cluster = ClusterFixture.startInProcess(3, "cluster.redirect-time = 60s\n");
    pub = cluster.raw(N2, MqttVersion.MQTT_5);
    pub.connect("pub");
    try (RawClient c = cluster.raw(N3, MqttVersion.MQTT_5)) {
      c.connect("b", false, 0, RawClient.sessionExpiry(3600));
      assertEquals(List.of(1), c.subscribe(GROUP, 1));
    }
    try (RawClient c = cluster.raw(N2, MqttVersion.MQTT_5)) {
      c.connect("a", false, 0, RawClient.sessionExpiry(3600));
      assertEquals(List.of(1), c.subscribe(GROUP, 1));
    }
    try (RawClient c = cluster.raw(N3, MqttVersion.MQTT_5)) {
      assertTrue(c.connect("a", false, 0, RawClient.sessionExpiry(3600)).sessionPresent());
      c.disconnect(ReasonCode.SUCCESS, RawClient.sessionExpiry(0));
    }
    await("a's session ended on n3", () -> cluster.broker(N3).sessions().get("a") == null);
    await("b is offline on n3", () -> !cluster.broker(N3).sessions().get("b").isConnected());
    cluster.awaitNoRoute(N2, "sh/t", N3);
    assertTrue(cluster.broker(N2).sessions().get("a").isMoved(), "n2 keeps a's redirect");

    pub.publish("sh/t", 1, false, bytes("for-the-group"));
    assertEquals(ReasonCode.SUCCESS, pub.expect(PubResponse.class).reasonCode());
    cluster.advanceUntil(
        () -> cluster.queuedAt(N3, "b") == 1
            || cluster.broker(N3).metrics().drops(DropReason.SESSION_GONE) > 0,
        ClusterFixture.STEP.multipliedBy(20), "n3 took the redirect");
    assertEquals(0, cluster.broker(N3).metrics().drops(DropReason.SESSION_GONE),
        "dropped on n3 as for a gone session, though b is a member");

    b = cluster.raw(N3, MqttVersion.MQTT_5);
    assertTrue(b.connect("b", false, 0, RawClient.sessionExpiry(3600)).sessionPresent());
    List<String> got = ClusterClients.receiveAndAck(b, ClusterClients.QUIET).stream()
        .map(Clients::text).toList();
    assertEquals(List.of("for-the-group"), got);
  }
}

package io.simqtt.peer;

import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.RawClient;
import io.simqtt.core.metrics.DropReason;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Client "sub" moves from n1 to n2, then starts clean on n2 (MQTT 3.1.2.4: its session is
 * discarded, the new one has no subscription). A message published on n1 matching the old
 * session's filter reaches n1's redirect, which passes it on to n2 naming the old session's
 * lineage; n2's session is of another lineage now, so the message is dropped there, counted, and
 * the client never gets it. In-process links on manual time.
 */
@Timeout(60)
class RedirectAfterCleanStartTest {
  private static final int N1 = 0;
  private static final int N2 = 1;

  private final ClusterFixture cluster =
      ClusterFixture.startInProcess(2, "cluster.redirect-time = 60s\n");
  private RawClient clean;
  private RawClient pub;

  @AfterEach
  void stop() {
    if (clean != null) {
      clean.close();
    }
    if (pub != null) {
      pub.close();
    }
    cluster.close();
  }

  @Test
  void whatTheOldOwnerRedirectsForTheDiscardedSessionNeverReachesTheClient() {
    pub = cluster.raw(N1, MqttVersion.MQTT_5);
    pub.connect("pub");
    try (RawClient c = cluster.raw(N1, MqttVersion.MQTT_5)) {
      c.connect("sub", false, 0, RawClient.sessionExpiry(3600));
      assertEquals(List.of(1), c.subscribe("rc/t", 1));
    }
    try (RawClient moved = cluster.raw(N2, MqttVersion.MQTT_5)) {
      assertTrue(moved.connect("sub", false, 0, RawClient.sessionExpiry(3600)).sessionPresent());
    }
    clean = cluster.raw(N2, MqttVersion.MQTT_5);
    assertFalse(clean.connect("sub", true, 0, RawClient.sessionExpiry(3600)).sessionPresent());

    pub.publish("rc/t", 1, false, bytes("for the old session"));
    assertEquals(ReasonCode.SUCCESS, pub.expect(PubResponse.class).reasonCode());
    cluster.advanceUntil(
        () -> cluster.broker(N2).metrics().drops(DropReason.SESSION_GONE) == 1,
        ClusterFixture.MAX_RECONNECT,
        "n2 dropped the redirected delivery, counted");

    assertEquals(List.of(), ClusterClients.receiveAndAck(clean, ClusterClients.QUIET));
  }
}

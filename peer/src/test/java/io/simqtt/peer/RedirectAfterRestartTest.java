package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.config.StorageSettings;
import io.simqtt.core.cluster.Cluster;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.Clients;
import io.simqtt.core.it.RawClient;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.session.Session;
import io.simqtt.store.DiskForwardJournal;
import io.simqtt.store.DiskSeenForwards;
import io.simqtt.store.DiskSessionStore;
import io.simqtt.store.DurableStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A redirect outlives a restart of its node: client "sub" moves from n2 (durable, RocksDB) to
 * n3 while n1 holds a forward for it that n2 never acknowledged (n1 published while it routed
 * "mv/t" to n2 only, and nothing n1 sent reached n2); n2 stops, and n1 sends the forward again
 * to n2 restarted on its store, where only the redirect can take it on to n3. In-process links
 * on manual time.
 */
@Timeout(60)
class RedirectAfterRestartTest {
  private static final int N1 = 0;
  private static final int N2 = 1;
  private static final int N3 = 2;

  /** n2 back with no redirect time: whatever time it was down is longer. */
  private static final String DOWN_LONGER_THAN_REDIRECT_TIME = "cluster.redirect-time = 0s\n";

  @TempDir Path dir;
  private ClusterFixture cluster;
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
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aForwardSentAgainAfterTheOldNodesRestartIsRedirectedToTheClient() {
    startWithSubOnN2(i -> "");
    forwardForN2HeldByN1();
    moveSubToN3();

    cluster.stop(N2);
    cluster.network().heal("n1", "n2");
    cluster.restart(N2); // on its store
    assertTheForwardSentAgainReachesTheClientOnN3();
    assertTrue(cluster.broker(N2).sessions().get("sub").isMoved(), "n2 holds the redirect");
    assertFalse(cluster.routes(N1, "mv/t", N2),
        "the redirect does not advertise its filters: n3 has the client");
  }

  /**
   * As above, but n2 is down for longer than its redirect time (it comes back with redirect-time
   * 0s, so no time needs to pass): the redirect still comes back, the move being less than the
   * late-redirect time ago, and redirects until the cluster is whole, which n1's forward sent
   * again is part of. The client gets it once. It was dropped: the redirect ended at recovery.
   */
  @Test
  void aForwardSentAgainToANodeDownLongerThanTheRedirectTimeReachesTheClientOnce() {
    startWithSubOnN2(RedirectAfterRestartTest::newOwnerWithoutRedirectTime);
    forwardForN2HeldByN1();
    moveSubToN3();

    cluster.stop(N2);
    cluster.network().heal("n1", "n2");
    cluster.configure(N2, DOWN_LONGER_THAN_REDIRECT_TIME);
    cluster.restart(N2);
    assertTrue(redirectsOnN2(), "the redirect is back");
    assertTheForwardSentAgainReachesTheClientOnN3();
  }

  /**
   * As above, but n1 stays cut off from n2 after n2's restart for longer than dead-after (30s):
   * n2 gives n1 up as dead (its cluster not whole for that), and n1, back within the
   * late-redirect time, sends the forward again. The client gets it once. It was dropped: the
   * redirect ended once n2 found its cluster settled, n1 given up.
   */
  @Test
  void aForwardSentAgainByAPeerAwayLongerThanDeadAfterReachesTheClient() {
    startWithSubOnN2(RedirectAfterRestartTest::newOwnerWithoutRedirectTime);
    forwardForN2HeldByN1();
    moveSubToN3();

    cluster.stop(N2);
    cluster.network().cut("n1", "n2");
    cluster.configure(N2, DOWN_LONGER_THAN_REDIRECT_TIME);
    cluster.restart(N2);
    assertTrue(redirectsOnN2(), "the redirect is back");
    cluster.advance(Duration.ofSeconds(31)); // past dead-after: n2 gives n1 up
    assertEquals(Cluster.NOT_WHOLE, cluster.cluster(N2).wholeForMillis(), "n1 is away");

    cluster.network().heal("n1", "n2");
    assertTheForwardSentAgainReachesTheClientOnN3();
  }

  /**
   * n2, back after longer than its redirect time, redirects what is published on it for the
   * client too (its filters are in n2's tree), and n3 advertises them: a message published on n2
   * while n1 is away reaches n3 twice, redirected and by route. n3's window for second copies,
   * whose own time (twice n3's redirect time of 0s) was over long since, is open while a peer
   * is away: the client gets the message once, the other copy counted {@code duplicate}.
   */
  @Test
  void aMessageReachingTheNewOwnerByRouteAndThroughALateRedirectIsDeliveredOnce() {
    startWithSubOnN2(RedirectAfterRestartTest::newOwnerWithoutRedirectTime);
    moveSubToN3();

    // n1 away from both: neither n2 (its redirect goes on) nor n3 is whole.
    cluster.stop(N1);
    cluster.stop(N2);
    cluster.configure(N2, DOWN_LONGER_THAN_REDIRECT_TIME);
    cluster.restart(N2);
    // Well inside dead-after (30s): n2 does not give n1 up.
    cluster.advanceUntil(() -> cluster.routes(N2, "mv/t", N3)
            && cluster.cluster(N3).linkStates().get("n2").equals("UP"),
        ClusterFixture.MAX_RECONNECT, "n2 and n3 linked both ways, n2 routing mv/t to n3");
    assertTrue(redirectsOnN2(), "the redirect is back");

    pub = cluster.raw(N2, MqttVersion.MQTT_5);
    pub.connect("pub");
    pub.publish("mv/t", 1, false, bytes("twice"));
    assertEquals(ReasonCode.SUCCESS, pub.expect(PubResponse.class).reasonCode());
    List<String> got = ClusterClients.receiveAndAck(sub, ClusterClients.QUIET).stream()
        .map(Clients::text).toList();
    assertEquals(List.of("twice"), got);
    assertEquals(1, cluster.broker(N3).metrics().drops(DropReason.DUPLICATE));
  }

  /**
   * Three nodes, n2 on a store, each with the settings {@code settings} gives it on top of a
   * redirect time of 60s; client "sub" has a persistent session on n2, subscribed to mv/t.
   */
  private void startWithSubOnN2(IntFunction<String> settings) {
    cluster = ClusterFixture.startInProcessStored(3, "cluster.redirect-time = 60s\n", settings,
        i -> i == N2 ? open(dir.resolve("n2")) : null);
    try (RawClient c = cluster.raw(N2, MqttVersion.MQTT_5)) {
      c.connect("sub", false, 0, RawClient.sessionExpiry(3600));
      assertEquals(List.of(1), c.subscribe("mv/t", 1));
    }
  }

  /**
   * A message published on n1 for the client on n2, acknowledged to its publisher, whose forward
   * n1 holds: n2 never got it (n1's link to it black-holed).
   */
  private void forwardForN2HeldByN1() {
    cluster.awaitRoute(N1, "mv/t", N2);
    // Connected first: a CONNECT on n1 asks every peer about the client id, and would wait.
    pub = cluster.raw(N1, MqttVersion.MQTT_5);
    pub.connect("pub");
    cluster.network().blackHoleOneWay("n1", "n2");
    pub.publish("mv/t", 1, false, bytes("kept"));
    assertEquals(ReasonCode.SUCCESS, pub.expect(PubResponse.class).reasonCode());
    await("n1 holds the forward for n2", () -> unacked(N1, N2) == 1);
  }

  /** n1 sends its forward to n2 again, n2 redirects it to n3, and the client gets it, once. */
  private void assertTheForwardSentAgainReachesTheClientOnN3() {
    cluster.advanceUntil(() -> unacked(N1, N2) == 0, ClusterFixture.MAX_RECONNECT,
        "n2 acknowledged the forward n1 sent again");
    cluster.advanceUntil(() -> unacked(N2, N3) == 0, ClusterFixture.MAX_RECONNECT,
        "n3 acknowledged what n2 redirected");
    List<String> got = ClusterClients.receiveAndAck(sub, ClusterClients.QUIET).stream()
        .map(Clients::text).toList();
    assertEquals(List.of("kept"), got);
  }

  /** n3, where the client goes, keeps no window for second copies of its own time. */
  private static String newOwnerWithoutRedirectTime(int i) {
    return i == N3 ? "cluster.redirect-time = 0s\n" : "";
  }

  /** Client "sub" connects to n3; its session moves there from n2, which redirects. */
  private void moveSubToN3() {
    sub = cluster.raw(N3, MqttVersion.MQTT_5);
    assertTrue(sub.connect("sub", false, 0, RawClient.sessionExpiry(3600)).sessionPresent());
    await("n2's session became a redirect",
        () -> cluster.broker(N2).sessions().get("sub").isMoved());
  }

  private boolean redirectsOnN2() {
    Session s = cluster.broker(N2).sessions().get("sub");
    return s != null && s.isMoved();
  }

  private long unacked(int from, int to) {
    return cluster.cluster(from).linkStats().stream()
        .filter(s -> s.peerId().equals(ClusterFixture.nodeId(to))).findFirst().orElseThrow()
        .unacked();
  }

  private static ClusterFixture.NodeStore open(Path at) {
    DurableStore store = DurableStore.open(new StorageSettings(
        at, StorageSettings.Sync.ALWAYS, Duration.ofMillis(5), 100_000, 64 << 20, 8 << 20));
    return new ClusterFixture.NodeStore(new DiskSessionStore(store),
        new DiskForwardJournal(store), new DiskSeenForwards(store), store);
  }
}

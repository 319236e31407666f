package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.config.StorageSettings;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.Clients;
import io.simqtt.core.it.RawClient;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.store.DiskForwardJournal;
import io.simqtt.store.DiskSeenForwards;
import io.simqtt.store.DiskSessionStore;
import io.simqtt.store.DurableStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client "sub" moves from n2 (durable, RocksDB) to n3; n2 keeps its redirect. A publisher on n1
 * sends while nothing n1 sends reaches n3 (that direction black-holed, in-process), so the
 * message reaches sub only through n2's redirect, and n2 is stopping: its links ended (Goodbye
 * said), its listener still taking n1's frames, as {@link PeerCluster#stop} leaves it for a
 * moment. In-process links on manual time.
 */
@Timeout(60)
class RedirectWhileStoppingTest {
  private static final int N1 = 0;
  private static final int N2 = 1;
  private static final int N3 = 2;
  private static final Duration KEEP_ALIVE = Duration.ofSeconds(2); // reference.conf

  @TempDir Path dir;
  private ClusterFixture cluster;
  private RawClient sub;
  private RawClient pub;

  @BeforeEach
  void subMovesFromN2ToN3() {
    cluster = ClusterFixture.startInProcessStored(3, "cluster.redirect-time = 60s\n",
        i -> i == N2 ? open(dir.resolve("n2")) : null);
    try (RawClient c = cluster.raw(N2, MqttVersion.MQTT_5)) {
      c.connect("sub", false, 0, RawClient.sessionExpiry(3600));
      assertEquals(List.of(1), c.subscribe("mv/t", 1));
    }
    cluster.awaitRoute(N1, "mv/t", N2);
    sub = cluster.raw(N3, MqttVersion.MQTT_5);
    assertTrue(sub.connect("sub", false, 0, RawClient.sessionExpiry(3600)).sessionPresent());
    cluster.awaitRoute(N1, "mv/t", N3);
    assertTrue(cluster.routes(N1, "mv/t", N2), "n2's redirect keeps its route for a while");
    // Connected first: a CONNECT on n1 asks every peer about the client id, and would wait.
    pub = cluster.raw(N1, MqttVersion.MQTT_5);
    pub.connect("pub");
    cluster.network().blackHoleOneWay("n1", "n3");
  }

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
  void aFrameTakenWhileTheNodeStopsRedirectsIntoTheJournalAndReachesTheClientAfterTheRestart() {
    cluster.cluster(N2).endLinks();
    publishOnN1("kept");
    cluster.advanceUntil(() -> unacked(N1, N2) == 0, ClusterFixture.STEP,
        "n2 acknowledged the frame: its redirect is kept");
    long noLink = cluster.broker(N2).metrics().drops(DropReason.NO_LINK);

    cluster.restart(N2); // on its store: the journal sends the redirect to n3
    cluster.advanceUntil(() -> unacked(N2, N3) == 0, ClusterFixture.MAX_RECONNECT,
        "n3 acknowledged what n2's journal kept");
    List<String> got = ClusterClients.receiveAndAck(sub, ClusterClients.QUIET).stream()
        .map(Clients::text).toList();
    assertEquals(List.of("kept"), got);
    assertEquals(0, noLink);
  }

  @Test
  void aFrameWhoseRedirectAClosedLinkRefusedIsNotAcknowledgedNorRecordedAsSeen() {
    // A delivery of a frame taken before the listener closed still runs as the links close.
    cluster.cluster(N2).endLinks();
    cluster.cluster(N2).closeLinks();
    publishOnN1("refused");
    await("n2 counted the redirect it could not make",
        () -> cluster.broker(N2).metrics().drops(DropReason.NO_LINK) == 1);
    // Two keep-alive rounds: n1's heartbeat to n2 is answered behind any acknowledgement n2
    // sent (due 5 ms after the frame is done), and n1 reads replies in order.
    cluster.advance(KEEP_ALIVE.multipliedBy(2).plus(ClusterFixture.STEP));
    assertEquals(1, unacked(N1, N2), "n1 keeps the frame: n2 did not acknowledge it");

    cluster.restart(N2);
    cluster.advanceUntil(() -> unacked(N1, N2) == 0, ClusterFixture.MAX_RECONNECT,
        "n2, restarted, acknowledged the frame n1 sent again");
    assertEquals(0, stats(N2, N1).duplicatesDropped(), "routed again, not dropped as seen");
  }

  private void publishOnN1(String payload) {
    pub.publish("mv/t", 1, false, bytes(payload));
    assertEquals(ReasonCode.SUCCESS, pub.expect(PubResponse.class).reasonCode());
  }

  private long unacked(int from, int to) {
    return stats(from, to).unacked();
  }

  private PeerLinkStats stats(int at, int peer) {
    return cluster.cluster(at).linkStats().stream()
        .filter(s -> s.peerId().equals(ClusterFixture.nodeId(peer))).findFirst().orElseThrow();
  }

  private static ClusterFixture.NodeStore open(Path at) {
    DurableStore store = DurableStore.open(new StorageSettings(
        at, StorageSettings.Sync.ALWAYS, Duration.ofMillis(5), 100_000, 64 << 20, 8 << 20));
    return new ClusterFixture.NodeStore(new DiskSessionStore(store),
        new DiskForwardJournal(store), new DiskSeenForwards(store), store);
  }
}

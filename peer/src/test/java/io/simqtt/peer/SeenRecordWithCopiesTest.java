package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.config.StorageSettings;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.PacketType;
import io.simqtt.core.it.RawClient;
import io.simqtt.core.session.SessionStore;
import io.simqtt.store.DiskForwardJournal;
import io.simqtt.store.DiskSeenForwards;
import io.simqtt.store.DiskSessionStore;
import io.simqtt.store.DurableStore;
import io.simqtt.store.KillImage;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A forward the receiving node took is recorded as seen in one unit with its copies: a kill -9 of
 * the receiver right after the store's first batch that holds the copy keeps the record too, so
 * the sender's resend after the restart is dropped, and a QoS 2 message reaches its subscriber
 * once. Two in-process nodes on manual time (no acknowledgement leaves before the kill), the
 * receiver on RocksDB; the subscriber's entry is written to a store that returns only once its
 * writer took it, so without the hold the writer's batch ends with the copy, before the record,
 * and the kill comes there ({@link KillImage}).
 */
@Timeout(60)
class SeenRecordWithCopiesTest {
  private static final int A = 0;
  private static final int B = 1;
  private static final Duration QUIET = Duration.ofMillis(300);
  private static final Duration DEAD_AFTER = Duration.ofSeconds(5);

  @TempDir Path dir;
  private ClusterFixture cluster;
  /** Where node B's store lies at its next start. */
  private Path bDir;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aKillAfterTheBatchWithTheCopyKeepsTheSeenRecordSoTheResendIsNotDeliveredAgain() {
    bDir = dir.resolve("n2");
    Path image = dir.resolve("n2-killed");
    cluster = ClusterFixture.startInProcessStored(2,
        "cluster.dead-after = " + DEAD_AFTER.toSeconds() + "s\n", i -> i == B ? open(bDir, image) : null);
    try (RawClient sub = cluster.raw(B, MqttVersion.MQTT_5)) {
      sub.connect("sub", false, 0, RawClient.sessionExpiry(3600));
      sub.subscribe("ws/t", 2);
    }
    cluster.awaitRoute(A, "ws/t", B);

    try (RawClient pub = cluster.raw(A, MqttVersion.MQTT_5)) {
      pub.connect("pub");
      pub.publish("ws/t", 2, false, bytes("once"));
      assertEquals(PacketType.PUBREC, pub.expect(PubResponse.class).type());
    }
    await("n2 wrote the batch with the subscriber's copy", () -> KillImage.taken(image));
    assertEquals(1, cluster.cluster(A).linkStats().get(0).unacked(), "nothing acknowledged yet");

    cluster.stop(B); // killed right after that batch: restarted on what it left
    cluster.network().cut(ClusterFixture.nodeId(A), ClusterFixture.nodeId(B));
    bDir = image;
    cluster.restart(B);
    // The subscriber is back first and finishes the message (n2 takes it once n1 counts as
    // dead), so no window for second copies (opened when n1 is heard from again) holds it when
    // n1 sends it again.
    cluster.advance(DEAD_AFTER.plusSeconds(1));
    assertEquals(List.of("once"), received(B, "sub"), "the message was kept");
    cluster.network().heal(ClusterFixture.nodeId(A), ClusterFixture.nodeId(B));
    cluster.awaitHealed(ClusterFixture.WAIT);
    cluster.advanceUntil(() -> cluster.cluster(A).linkStats().get(0).unacked() == 0,
        ClusterFixture.MAX_RECONNECT, "n2 acknowledged the forward n1 sent again");

    assertEquals(List.of(), received(B, "sub"), "the resend is not delivered a second time");
    assertEquals(1, cluster.cluster(B).linkStats().get(0).duplicatesDropped());
  }

  /** Node B's store on {@code at}: the kill comes right after its first batch with an entry. */
  private ClusterFixture.NodeStore open(Path at, Path image) {
    DurableStore store = DurableStore.open(new StorageSettings(
        at, StorageSettings.Sync.ALWAYS, Duration.ofMillis(5), 100_000, 64 << 20, 8 << 20));
    SessionStore sessions = new DiskSessionStore(store);
    if (!KillImage.taken(image)) {
      KillImage.holdsNotCutForTime(store);
      KillImage.afterFirstBatchWithAnEntryOf(store, "sub", image);
      sessions = takenBeforeReturning(sessions, store, "sub", image);
    }
    return new ClusterFixture.NodeStore(
        sessions, new DiskForwardJournal(store), new DiskSeenForwards(store), store);
  }

  /**
   * {@code sessions}, whose first entry written for {@code clientId} returns only once the writer
   * took it: into a batch of its own (then the image is taken) or into one it holds open.
   */
  private static SessionStore takenBeforeReturning(
      SessionStore sessions, DurableStore store, String clientId, Path image) {
    AtomicBoolean first = new AtomicBoolean(true);
    return (SessionStore) Proxy.newProxyInstance(SessionStore.class.getClassLoader(),
        new Class<?>[] {SessionStore.class}, (proxy, method, args) -> {
          boolean wait = method.getName().equals("addMessage") && clientId.equals(args[0])
              && first.compareAndSet(true, false);
          long holdWaits = store.holdWaits();
          Object result;
          try {
            result = method.invoke(sessions, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          if (wait) {
            await("the writer took the entry",
                () -> store.holdWaits() > holdWaits || KillImage.taken(image));
          }
          return result;
        });
  }

  /**
   * The messages {@code clientId}'s stored session on node {@code i} gets, until quiet, each
   * finished (QoS 2).
   */
  private List<String> received(int i, String clientId) {
    try (RawClient sub = cluster.raw(i, MqttVersion.MQTT_5)) {
      assertTrue(sub.connect(clientId, false, 0, RawClient.sessionExpiry(3600))
          .sessionPresent());
      return sub.payloadsUntilQuiet(QUIET);
    }
  }
}

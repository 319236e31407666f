package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.config.StorageSettings;
import io.simqtt.core.cluster.ForwardJournal;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.PacketType;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.RawClient;
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
 * A stored publisher's QoS 2 id reaches the disk in one unit with every copy of its message, also
 * when the copy counted last is a forward journal write: a kill -9 of the publisher's node right
 * after the store's first batch that holds the local subscriber's copy keeps the id, so the
 * client's resend after the restart is answered without routing and each subscriber gets the
 * message once. Two in-process nodes on manual time, the publisher's on RocksDB; its forward
 * journal writes only once the store's writer has taken the local copy (into a batch of its own,
 * without the hold), so the journal's count comes last. Before the hold, the id went with the
 * copy written last, and a journal write counted last left it to a later batch: the kill lost it
 * and the resend reached both subscribers again.
 */
@Timeout(60)
class PublisherIdWithCopiesTest {
  private static final int A = 0;
  private static final int B = 1;
  private static final Duration QUIET = Duration.ofMillis(300);

  @TempDir Path dir;
  private ClusterFixture cluster;
  /** Where node A's store lies at its next start. */
  private Path aDir;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aKillAfterTheLocalCopysBatchKeepsTheIdWhenTheJournalWriteCountedLast() {
    aDir = dir.resolve("n1");
    Path image = dir.resolve("n1-killed");
    cluster = ClusterFixture.startInProcessStored(2, "", i -> i == A ? open(aDir, image) : null);
    try (RawClient local = cluster.raw(A, MqttVersion.MQTT_5)) {
      local.connect("local", false, 0, RawClient.sessionExpiry(3600));
      local.subscribe("eo/t", 2);
      local.disconnect(ReasonCode.NORMAL_DISCONNECTION, MqttProperties.empty());
    }
    RawClient remote = cluster.raw(B, MqttVersion.MQTT_5);
    remote.connect("remote");
    remote.subscribe("eo/t", 2);
    cluster.awaitRoute(A, "eo/t", B);

    int id;
    try (RawClient pub = cluster.raw(A, MqttVersion.MQTT_5)) {
      pub.connect("pub", false, 0, RawClient.sessionExpiry(3600));
      id = pub.publish("eo/t", 2, false, bytes("once"));
      await("n1 wrote the batch with the local copy", () -> KillImage.taken(image));
    }

    cluster.stop(A); // killed right after that batch: restarted on what it left
    aDir = image;
    cluster.restart(A);
    cluster.awaitHealed(ClusterFixture.WAIT);
    try (RawClient pub = cluster.raw(A, MqttVersion.MQTT_5)) {
      assertTrue(pub.connect("pub", false, 0, RawClient.sessionExpiry(3600)).sessionPresent());
      pub.send(new Publish("eo/t", 2, false, true, id, bytes("once"), MqttProperties.empty()));
      assertEquals(PacketType.PUBREC, pub.expect(PubResponse.class).type());
    }
    cluster.advanceUntil(() -> cluster.cluster(A).linkStats().get(0).unacked() == 0,
        ClusterFixture.MAX_RECONNECT, "n2 acknowledged what n1 sent");

    try (RawClient local = cluster.raw(A, MqttVersion.MQTT_5)) {
      assertTrue(local.connect("local", false, 0, RawClient.sessionExpiry(3600))
          .sessionPresent());
      assertEquals(List.of("once"), local.payloadsUntilQuiet(QUIET),
          "the local subscriber gets it once");
    }
    assertEquals(List.of("once"), remote.payloadsUntilQuiet(QUIET),
        "the remote subscriber gets it once");
    remote.close();
  }

  /**
   * Node A's store on {@code at}: the kill comes right after its first batch with an entry of
   * the local subscriber, and its forward journal writes only once that entry is taken.
   */
  private ClusterFixture.NodeStore open(Path at, Path image) {
    DurableStore store = DurableStore.open(new StorageSettings(
        at, StorageSettings.Sync.ALWAYS, Duration.ofMillis(5), 100_000, 64 << 20, 8 << 20));
    ForwardJournal journal = new DiskForwardJournal(store);
    if (!KillImage.taken(image)) {
      KillImage.holdsNotCutForTime(store);
      KillImage.afterFirstBatchWithAnEntryOf(store, "local", image);
      journal = afterTheLocalCopy(journal, store, image);
    }
    return new ClusterFixture.NodeStore(
        new DiskSessionStore(store), journal, new DiskSeenForwards(store), store);
  }

  /**
   * {@code journal}, whose first write waits until the store's writer took the local copy: into
   * a batch of its own (then the image is taken) or into one it holds open.
   */
  private static ForwardJournal afterTheLocalCopy(
      ForwardJournal journal, DurableStore store, Path image) {
    AtomicBoolean first = new AtomicBoolean(true);
    return (ForwardJournal) Proxy.newProxyInstance(ForwardJournal.class.getClassLoader(),
        new Class<?>[] {ForwardJournal.class}, (proxy, method, args) -> {
          if (method.getName().equals("hold") && first.compareAndSet(true, false)) {
            await("the writer took the local copy",
                () -> store.holdWaits() > 0 || KillImage.taken(image));
          }
          try {
            return method.invoke(journal, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }
}

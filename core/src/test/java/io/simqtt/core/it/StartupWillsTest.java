package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.simqtt.config.SettingsLoader;
import io.simqtt.core.Broker;
import io.simqtt.core.cluster.Backpressure;
import io.simqtt.core.cluster.ClaimResult;
import io.simqtt.core.cluster.Cluster;
import io.simqtt.core.cluster.ForwardCopy;
import io.simqtt.core.cluster.LocalNode;
import io.simqtt.core.cluster.RetainedStamp;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.message.Message;
import io.simqtt.core.retain.MemoryRetainedStore;
import io.simqtt.core.routing.DeliveryReceipt;
import io.simqtt.core.session.Delivery;
import io.simqtt.core.session.RecordingSessionStore;
import io.simqtt.core.session.StoredSession;
import io.simqtt.core.session.Will;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Wills of sessions that expired, or whose will delay passed, while a durable node was down go
 * out once the cluster is up (its peers' routes known), not during recovery before it: a
 * subscriber on another node gets them (before, they reached this node's sessions only).
 */
class StartupWillsTest {
  private static final long HOUR = 3600;

  /** A cluster whose one peer, n2, subscribed to will/#: its routes arrive as the cluster starts. */
  private static class PeerWithWillSubscriber implements Cluster {
    final List<String> forwarded = new CopyOnWriteArrayList<>();

    @Override
    public void start(LocalNode node) {
      node.replaceRemoteRoutes("n2", Map.of("will/#", 1));
    }

    @Override
    public Backpressure forward(
        Message message, List<ForwardCopy> copies, DeliveryReceipt receipt) {
      copies.forEach(c -> forwarded.add(c.nodeId() + " " + message.topic()));
      return null;
    }

    @Override
    public void stop() {}

    @Override
    public void subscriptionAdded(String filter) {}

    @Override
    public void subscriptionRemoved(String filter) {}

    @Override
    public boolean redirect(
        String nodeId,
        String clientId,
        Delivery delivery,
        int hops,
        long lineage,
        DeliveryReceipt receipt) {
      return true;
    }

    @Override
    public boolean canReach(String nodeId) {
      return true;
    }

    @Override
    public long wholeForMillis() {
      return Long.MAX_VALUE;
    }

    @Override
    public void retainedChanged(String topic, Message message, RetainedStamp stamp) {}

    @Override
    public CompletableFuture<ClaimResult> claim(String clientId, boolean cleanStart, boolean keepsSession) {
      return CompletableFuture.completedFuture(ClaimResult.NONE);
    }
  }

  @Test
  void willsDueWhileTheNodeWasDownReachSubscribersOnOtherNodes() throws Exception {
    long now = System.currentTimeMillis();
    RecordingSessionStore store = new RecordingSessionStore();
    store.put(new StoredSession("gone", Map.of(), 60, will("will/gone", 0), now - 120_000, 0,
        Set.of()));
    store.put(new StoredSession("late", Map.of(), HOUR, will("will/late", 30), now - 120_000, 0,
        Set.of()));
    PeerWithWillSubscriber cluster = new PeerWithWillSubscriber();
    Broker b = new Broker(SettingsLoader.fromString(
        "mqtt.listeners.tcp { host = \"127.0.0.1\", port = 0 }\nmqtt.sys.interval = 0\n"),
        cluster, MemoryRetainedStore::new, store);
    try {
      b.start();
      assertEquals(Set.of("n2 will/gone", "n2 will/late"), Set.copyOf(cluster.forwarded));
      assertEquals(2, cluster.forwarded.size(), "each once");
    } finally {
      b.close();
    }
  }

  /**
   * A kill -9 while the wills wait for the cluster (taken as the cluster starts, after recovery
   * sent them to wait): the node restarted from what the store held then publishes both. Before,
   * the expired session was deleted and the other's record saved without its will before either
   * went out, so the restart had nothing to send.
   */
  @Test
  void aKillWhileWillsWaitForTheClusterLosesNone() throws Exception {
    long now = System.currentTimeMillis();
    RecordingSessionStore store = new RecordingSessionStore();
    store.put(new StoredSession("gone", Map.of(), 60, will("will/gone", 0), now - 120_000, 0,
        Set.of()));
    store.put(new StoredSession("late", Map.of(), HOUR, will("will/late", 30), now - 120_000, 0,
        Set.of()));
    RecordingSessionStore[] killedWhileWaiting = new RecordingSessionStore[1];
    PeerWithWillSubscriber first = new PeerWithWillSubscriber() {
      @Override
      public void start(LocalNode node) {
        killedWhileWaiting[0] = store.copy();
        super.start(node);
      }
    };
    Broker b = broker(first, store);
    try {
      b.start();
    } finally {
      b.close();
    }
    assertEquals(2, first.forwarded.size());

    PeerWithWillSubscriber second = new PeerWithWillSubscriber();
    Broker restarted = broker(second, killedWhileWaiting[0]);
    try {
      restarted.start();
      assertEquals(Set.of("n2 will/gone", "n2 will/late"), Set.copyOf(second.forwarded));
      assertEquals(2, second.forwarded.size(), "each once");
      assertEquals(2, restarted.metrics().willsSentAgain());
    } finally {
      restarted.close();
    }
  }

  private static Broker broker(Cluster cluster, RecordingSessionStore store) {
    return new Broker(SettingsLoader.fromString(
        "mqtt.listeners.tcp { host = \"127.0.0.1\", port = 0 }\nmqtt.sys.interval = 0\n"),
        cluster, MemoryRetainedStore::new, store);
  }

  private static Will will(String topic, long delaySeconds) {
    Message m = new Message(topic, bytes("bye"), 1, false, MqttProperties.empty(), 0, "");
    return new Will(m, delaySeconds, 0);
  }
}

package io.simqtt.core.session;

import io.simqtt.config.SettingsLoader;
import io.simqtt.core.auth.Permissions;
import io.simqtt.core.cluster.HybridClock;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.retain.MemoryRetainedStore;
import io.simqtt.core.routing.DeliveryReceipt;
import io.simqtt.core.routing.MessageRouter;
import io.simqtt.core.topic.SubscriptionTree;
import java.time.Duration;

/**
 * A node's session registry and the router that routes to it, on one subscription tree, the
 * sessions' shared-subscription hand-ons going through that router: the broker's own parts
 * without sockets, in memory; the cluster only records.
 */
final class RoutedNode {
  final String nodeId;
  final SessionRegistry registry;
  final MessageRouter router;

  RoutedNode(String nodeId, BrokerMetrics metrics, RecordingCluster cluster) {
    this.nodeId = nodeId;
    SubscriptionTree tree = new SubscriptionTree();
    registry =
        new SessionRegistry(
            SettingsLoader.fromString("").mqtt().sessions(),
            tree,
            metrics,
            (will, receipt) -> {},
            this::redeliver,
            cluster,
            10_000,
            300_000,
            new PermissionRetries(
                who -> Permissions.ALL, 1, Duration.ofSeconds(10), Duration.ofSeconds(10)),
            SessionStore.MEMORY);
    router =
        new MessageRouter(
            nodeId,
            tree,
            new MemoryRetainedStore(),
            registry,
            cluster,
            new HybridClock(),
            metrics,
            SettingsLoader.fromString("").mqtt().sessions().sharedSubscriptionStrategy());
  }

  private void redeliver(Delivery d, String leavingClientId, int hops, DeliveryReceipt receipt) {
    router.redeliverShared(d, leavingClientId, hops, receipt);
  }
}

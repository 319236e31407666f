package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.topic.SubscriptionOptions;
import io.simqtt.core.topic.SubscriptionTree;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link Subscriptions}: kept in step with a real topic tree, and what the cluster is told:
 * ordinary filters while they exist, shared ones only while the client is connected.
 */
class SubscriptionsTest {
  private static final SubscriptionOptions QOS0 = new SubscriptionOptions(0, false, false, 0, 0);
  private static final SubscriptionOptions QOS1 = new SubscriptionOptions(1, false, false, 0, 0);

  private final SubscriptionTree tree = new SubscriptionTree();
  private final RecordingCluster cluster = new RecordingCluster();

  private Subscriptions subscriptions(boolean connected) {
    return new Subscriptions(
        "c",
        new SessionContext(
            null, tree, cluster, null, null, null, null, 0, 0, null, SessionStore.MEMORY),
        connected);
  }

  @Test
  void addingAndRemovingKeepsTheTreeInStepAndAdvertisesEachFilterOnce() {
    Subscriptions s = subscriptions(true);
    assertNull(s.add("a/+", QOS0));
    assertEquals(QOS0, s.add("a/+", QOS1), "replaced: the old options come back");
    assertEquals(1, tree.match("a/b").direct().size());
    assertEquals(Map.of("a/+", QOS1), s.snapshot());
    assertEquals(List.of("+a/+"), cluster.routes, "a replaced subscription is no new route");

    assertTrue(s.remove("a/+"));
    assertFalse(s.remove("a/+"));
    assertTrue(s.isEmpty());
    assertTrue(tree.match("a/b").direct().isEmpty());
    assertEquals(List.of("+a/+", "-a/+"), cluster.routes);
  }

  @Test
  void sharedFiltersAreAdvertisedOnlyWhileConnected() {
    Subscriptions s = subscriptions(false);
    s.add("$share/g/t", QOS1);
    s.add("t", QOS1);
    assertEquals(List.of("+t"), cluster.routes, "offline: the shared one is not advertised");

    s.advertiseShared(true);
    s.advertiseShared(true); // already on: nothing more
    assertEquals(List.of("+t", "+$share/g/t"), cluster.routes);
    s.advertiseShared(false);
    assertEquals(List.of("+t", "+$share/g/t", "-$share/g/t"), cluster.routes);

    cluster.routes.clear();
    s.removeAll();
    assertEquals(List.of("-t"), cluster.routes, "the shared one was withdrawn already");
    assertTrue(s.isEmpty());
    assertTrue(tree.match("t").direct().isEmpty());
    assertTrue(tree.match("t").shared().isEmpty());
  }
}

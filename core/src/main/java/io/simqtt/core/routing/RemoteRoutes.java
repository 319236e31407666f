package io.simqtt.core.routing;

import io.simqtt.core.topic.SubscriptionOptions;
import io.simqtt.core.topic.SubscriptionTree;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The filters peers advertise, kept in the local subscription tree under subscriber ids no client
 * can have (they start with U+0000, which MQTT forbids in strings). One match of the tree thus
 * finds local sessions and remote nodes together, and a shared group's members are local clients
 * and remote nodes alike, so the group picks one receiver cluster-wide.
 */
public final class RemoteRoutes {
  private static final char MARK = '\0';
  /** The receiving node applies its own subscribers' options; the route only says "send". */
  private static final SubscriptionOptions ROUTE = new SubscriptionOptions(2, false, true, 0, 0);

  private final SubscriptionTree tree;
  /** Per node, the filters in the tree for it. Guarded by this; writes are rare. */
  private final Map<String, Set<String>> filtersByNode = new HashMap<>();
  /** Routes in the tree for all nodes; written under the lock. */
  private volatile int total;

  RemoteRoutes(SubscriptionTree tree) {
    this.tree = tree;
  }

  static boolean isRemote(String subscriberId) {
    return !subscriberId.isEmpty() && subscriberId.charAt(0) == MARK;
  }

  static String nodeOf(String subscriberId) {
    return subscriberId.substring(1);
  }

  static String idOf(String nodeId) {
    return MARK + nodeId;
  }

  /** Replaces everything known of a node's routes. */
  public synchronized void replace(String nodeId, Map<String, Integer> routes) {
    Set<String> current = filtersByNode.computeIfAbsent(nodeId, n -> new HashSet<>());
    for (String filter : Set.copyOf(current)) {
      if (routes.getOrDefault(filter, 0) <= 0) {
        remove(nodeId, current, filter);
      }
    }
    routes.forEach((filter, count) -> {
      if (count > 0) {
        add(nodeId, current, filter);
      }
    });
  }

  /** A node's route changed; count 0 removes it. */
  public synchronized void update(String nodeId, String filter, int count) {
    Set<String> current = filtersByNode.computeIfAbsent(nodeId, n -> new HashSet<>());
    if (count > 0) {
      add(nodeId, current, filter);
    } else {
      remove(nodeId, current, filter);
    }
  }

  /** Forgets every route of a node. */
  public synchronized void drop(String nodeId) {
    replace(nodeId, Map.of());
    filtersByNode.remove(nodeId);
  }

  /** Filters all nodes advertise: the part of the subscription tree that is not local. */
  public int totalRouteCount() {
    return total;
  }

  /** Read on every publish, without the lock: no remote route means nothing to forward. */
  boolean isEmpty() {
    return total == 0;
  }

  private void add(String nodeId, Set<String> current, String filter) {
    if (current.add(filter)) {
      tree.subscribe(idOf(nodeId), filter, ROUTE);
      total++;
    }
  }

  private void remove(String nodeId, Set<String> current, String filter) {
    if (current.remove(filter)) {
      tree.unsubscribe(idOf(nodeId), filter);
      total--;
    }
  }
}

package io.simqtt.peer;

import io.simqtt.core.cluster.LocalNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * What each peer advertises, applied to this node's subscription tree and mirrored here so a
 * peer's routes can be withdrawn (its shared ones at once when its stream ends, the rest once
 * it is declared dead) and counted for status.
 */
final class RemoteRoutes {
  private final LocalNode node;
  private final StartupRoutes startup;
  /** Per peer; each mirror guarded by itself, which also orders the node's updates. */
  private final Map<String, Map<String, Integer>> byPeer = new ConcurrentHashMap<>();

  RemoteRoutes(LocalNode node, StartupRoutes startup) {
    this.node = node;
    this.startup = startup;
  }

  /** A peer's snapshot replaces everything known of its routes. */
  void replaced(String peerId, Map<String, Integer> routes) {
    Map<String, Integer> mirror = mirror(peerId);
    synchronized (mirror) {
      mirror.clear();
      routes.forEach((f, n) -> {
        if (n > 0) {
          mirror.put(f, n);
        }
      });
      node.replaceRemoteRoutes(peerId, mirror);
    }
    startup.settled(peerId);
  }

  /** One route of a peer changed; count 0 removes it. */
  void updated(String peerId, String filter, int count) {
    Map<String, Integer> mirror = mirror(peerId);
    synchronized (mirror) {
      if (count > 0) {
        mirror.put(filter, count);
      } else {
        mirror.remove(filter);
      }
      node.updateRemoteRoute(peerId, filter, count);
    }
  }

  /** Withdraws the peer's routes whose filter {@code which} accepts. */
  void withdraw(String peerId, Predicate<String> which) {
    Map<String, Integer> routes = byPeer.getOrDefault(peerId, Map.of());
    synchronized (routes) {
      for (String f : List.copyOf(routes.keySet())) {
        if (which.test(f)) {
          routes.remove(f);
          node.updateRemoteRoute(peerId, f, 0);
        }
      }
    }
  }

  /** How many filters the peer advertises, for status. */
  int count(String peerId) {
    Map<String, Integer> routes = byPeer.getOrDefault(peerId, Map.of());
    synchronized (routes) {
      return routes.size();
    }
  }

  private Map<String, Integer> mirror(String peerId) {
    return byPeer.computeIfAbsent(peerId, p -> new HashMap<>());
  }
}

package io.simqtt.config;

import java.util.List;

/**
 * The static peer cluster; an empty peer list means a single node.
 *
 * @param name cluster name, checked in every peer Hello
 * @param secret shared secret peers prove in their Hello ("" only allowed without peers)
 * @param listen where this node accepts peer links
 * @param peers the other members
 */
public record ClusterSettings(
    String name, String secret, ListenerSettings listen, List<PeerAddress> peers) {

  public ClusterSettings {
    peers = List.copyOf(peers);
  }

  /** One other member of the cluster. */
  public record PeerAddress(String id, String host, int port) {}

  public boolean isSingleNode() {
    return peers.isEmpty();
  }
}

package io.simqtt.peer;

import io.simqtt.proto.peer.PeerFrame;
import java.util.List;

/**
 * This node's outbound links as claims, routes and inbound streams address them: by peer id,
 * without holding the links themselves.
 */
interface LinkDirectory {

  /** The peers whose link from this node is up now. */
  List<String> upPeers();

  /** Whether some peer is down but not yet declared dead (see {@code cluster.dead-after}). */
  boolean hasSuspectPeers();

  /** Sends a control frame to a peer if its link is up (see {@link OutboundLink#sendControl}). */
  void send(String peerId, PeerFrame frame);

  /** Sends a frame to a peer now, or when its link is back (see OutboundLink.sendWhenUp). */
  void sendWhenUp(String peerId, PeerFrame frame);

  /** Sends a control frame on every link that is up. */
  void sendToAll(PeerFrame frame);
}

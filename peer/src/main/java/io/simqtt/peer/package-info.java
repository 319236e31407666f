/**
 * The node process and the static peer cluster over gRPC.
 *
 * <p>{@link io.simqtt.peer.NodeMain} is the entry point {@code bin/start-node.sh} runs: it loads
 * and validates the settings before anything binds, starts the broker, and stops it cleanly on
 * SIGTERM or Ctrl-C.
 *
 * <p>{@code PeerCluster} is this node's side of the cluster (core's {@code Cluster}): it runs the
 * peer listener and wires the rest. {@code OutboundLink} is this node's stream to one peer
 * (heartbeats, numbered forwards kept until acknowledged, a budget that slows publishers),
 * {@code InboundLink} a peer's stream into this node. A session moves in two phases:
 * {@code ClaimBook} is the claiming side, {@code HandOvers} the holding side, and {@code
 * FrameParts} cuts its state, like route snapshots, into frames a link accepts. See docs/ARCHITECTURE.md, "Peer
 * protocol".
 */
package io.simqtt.peer;

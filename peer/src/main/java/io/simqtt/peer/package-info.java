/**
 * The node process and the static peer cluster over gRPC.
 *
 * <p>{@link io.simqtt.peer.NodeMain} is the entry point {@code bin/start-node.sh} runs: it loads
 * and validates the settings before anything binds, starts the broker, and stops it cleanly on
 * SIGTERM or Ctrl-C ({@code StopSignals}); SIGHUP re-reads the password and ACL files ({@code
 * ReloadSignal}).
 *
 * <p>{@code PeerCluster} is this node's side of the cluster (core's {@code Cluster}): it wires the
 * parts below together and holds nothing else of its own. {@code Handshake} is this node's
 * identity on links and the check of a peer's. {@code OutboundLink} is this node's stream to one
 * peer (heartbeats, numbered forwards kept until acknowledged, a budget that slows publishers);
 * {@code OutboundLinks} holds them and addresses them by peer id for the rest ({@code
 * LinkDirectory}); {@code LinkEvents} is what happens as one comes up or down. {@code
 * InboundLink} is a peer's stream into this node and {@code InboundStreams} the set of them
 * (who is linked to us, duplicate forwards, withdrawing a gone peer's routes). {@code
 * LocalRoutes} is what this node advertises, {@code RemoteRoutes} what peers advertise. A
 * session moves in two phases: {@code ClaimBook} is the claiming side, {@code HandOvers} the
 * holding side, and {@code FrameParts} cuts its state, like route snapshots, into frames a link
 * accepts. Each part depends on what it needs (the local node, the link directory), not on
 * {@code PeerCluster}. See docs/ARCHITECTURE.md, "Peer protocol".
 */
package io.simqtt.peer;

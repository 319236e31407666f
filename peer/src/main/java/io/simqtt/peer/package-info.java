/**
 * The node process and, as it grows, the peer cluster over gRPC.
 *
 * <p>{@link io.simqtt.peer.NodeMain} is the entry point {@code bin/start-node.sh} runs: it loads
 * and validates the settings before anything binds, starts the broker, and stops it cleanly on
 * SIGTERM or Ctrl-C.
 */
package io.simqtt.peer;

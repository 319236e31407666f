/**
 * The admin surface of a node: the gRPC {@code AdminService} (admin.proto) on its own port with a
 * bearer token (an admin one, and a read-only one refused the calls that change something),
 * health and reflection; the node-to-node {@code PeerAdminService} on the peer port
 * through which any node answers for the whole cluster; and {@link AdminCli}, the command line
 * behind {@code bin/admin.sh}.
 *
 * <p>Everything read from the broker goes through core's public views ({@code ClientInfo}
 * snapshots taken as session tasks), never by touching session state from these threads.
 */
package io.simqtt.peer.admin;

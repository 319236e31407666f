/**
 * The narrow hook through which a peer cluster plugs into one node's broker. Core knows nothing
 * of gRPC: a single node uses {@link io.simqtt.core.cluster.Cluster#SINGLE_NODE}.
 */
package io.simqtt.core.cluster;

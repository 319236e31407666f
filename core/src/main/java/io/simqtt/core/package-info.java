/**
 * One node's MQTT broker. {@link io.simqtt.core.Broker} wires the listeners, sessions, topic tree,
 * retained store and the cluster hook together; it builds and runs a full single-node broker with
 * no dependency on gRPC or peers.
 */
package io.simqtt.core;

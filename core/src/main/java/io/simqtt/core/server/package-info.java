/**
 * Netty listeners: event loop groups, transport choice, and the connections of each event loop
 * (a {@code LoopConnections} per loop, one {@code MqttConnection} handler per channel).
 */
package io.simqtt.core.server;

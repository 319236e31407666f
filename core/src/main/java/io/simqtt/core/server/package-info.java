/**
 * Netty listeners: event loop groups (shared by every listener), transport choice, one {@code
 * MqttListener} per enabled entry of mqtt.listeners with the pipeline its type needs in front of
 * the {@code MqttConnection}, and the connections of each event loop (a {@code LoopConnections}
 * per loop).
 */
package io.simqtt.core.server;

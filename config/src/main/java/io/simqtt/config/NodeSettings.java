package io.simqtt.config;

/** Everything one node needs to start. */
public record NodeSettings(String nodeId, MqttSettings mqtt, ClusterSettings cluster) {}

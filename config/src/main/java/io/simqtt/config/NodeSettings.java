package io.simqtt.config;

/** Everything one node needs to start. */
public record NodeSettings(
    String nodeId,
    MqttSettings mqtt,
    ClusterSettings cluster,
    AdminSettings admin,
    MetricsSettings metrics) {

  /** Without admin API and metrics endpoint, for settings built in code. */
  public NodeSettings(String nodeId, MqttSettings mqtt, ClusterSettings cluster) {
    this(nodeId, mqtt, cluster, AdminSettings.OFF, MetricsSettings.OFF);
  }
}

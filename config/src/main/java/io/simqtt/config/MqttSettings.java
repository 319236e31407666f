package io.simqtt.config;

/** The MQTT side of a node: where it listens, what it accepts, how sessions behave. */
public record MqttSettings(
    ListenerSettings tcp,
    LimitSettings limits,
    SessionSettings sessions,
    FeatureSettings features,
    SysSettings sys) {

  /** Without $SYS topics, for settings built in code. */
  public MqttSettings(
      ListenerSettings tcp,
      LimitSettings limits,
      SessionSettings sessions,
      FeatureSettings features) {
    this(tcp, limits, sessions, features, SysSettings.OFF);
  }
}

package io.simqtt.config;

/** The MQTT side of a node: where it listens, what it accepts, how sessions behave. */
public record MqttSettings(
    ListenerSettings tcp,
    LimitSettings limits,
    SessionSettings sessions,
    FeatureSettings features,
    SysSettings sys,
    RetainedSettings retained,
    AuthSettings auth,
    ConnectionLimits tcpLimits,
    HeapGuardSettings heapGuard) {

  /**
   * Without $SYS topics, with the default retained settings and no credential checks, for
   * settings built in code.
   */
  public MqttSettings(
      ListenerSettings tcp,
      LimitSettings limits,
      SessionSettings sessions,
      FeatureSettings features) {
    this(tcp, limits, sessions, features, SysSettings.OFF);
  }

  /**
   * With the default retained settings, no credential checks, no connection limits and the
   * default heap guard, for settings built in code.
   */
  public MqttSettings(
      ListenerSettings tcp,
      LimitSettings limits,
      SessionSettings sessions,
      FeatureSettings features,
      SysSettings sys) {
    this(tcp, limits, sessions, features, sys, RetainedSettings.DEFAULT, AuthSettings.DEFAULT,
        ConnectionLimits.NONE, HeapGuardSettings.DEFAULT);
  }
}

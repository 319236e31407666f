package io.simqtt.config;

import java.util.List;

/**
 * The MQTT side of a node: where it listens (the enabled listeners, possibly none), what it
 * accepts, how sessions behave.
 */
public record MqttSettings(
    List<MqttListenerSettings> listeners,
    LimitSettings limits,
    SessionSettings sessions,
    FeatureSettings features,
    SysSettings sys,
    RetainedSettings retained,
    AuthSettings auth,
    TlsSettings tls,
    HeapGuardSettings heapGuard,
    StorageSettings storage) {

  public MqttSettings {
    listeners = List.copyOf(listeners);
  }

  /**
   * Without $SYS topics, with the default retained settings and no credential checks, for
   * settings built in code.
   */
  public MqttSettings(
      List<MqttListenerSettings> listeners,
      LimitSettings limits,
      SessionSettings sessions,
      FeatureSettings features) {
    this(listeners, limits, sessions, features, SysSettings.OFF);
  }

  /**
   * With the default retained settings, no credential checks, no connection limits, the
   * default heap guard and everything in memory, for settings built in code.
   */
  public MqttSettings(
      List<MqttListenerSettings> listeners,
      LimitSettings limits,
      SessionSettings sessions,
      FeatureSettings features,
      SysSettings sys) {
    this(listeners, limits, sessions, features, sys, RetainedSettings.DEFAULT, AuthSettings.DEFAULT,
        TlsSettings.NONE, HeapGuardSettings.DEFAULT, StorageSettings.MEMORY);
  }
}

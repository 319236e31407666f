package io.simqtt.config;

/** The MQTT side of a node: where it listens, what it accepts, how sessions behave. */
public record MqttSettings(
    ListenerSettings tcp,
    LimitSettings limits,
    SessionSettings sessions,
    FeatureSettings features) {}

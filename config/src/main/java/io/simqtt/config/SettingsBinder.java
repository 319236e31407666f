package io.simqtt.config;

import com.typesafe.config.Config;
import io.simqtt.config.SessionSettings.QueueOverflow;
import io.simqtt.config.SessionSettings.SharedStrategy;
import java.time.Duration;
import java.util.List;

/** Reads a resolved, key-checked config into the settings records, checking every range. */
final class SettingsBinder {

  /** Node and peer ids travel in handshakes and log lines: keep them plain. */
  static final String ID_PATTERN = "[A-Za-z0-9._-]{1,64}";

  static final String ID_RULE = "1..64 characters from A-Z a-z 0-9 . _ -";

  /** The largest Remaining Length MQTT can encode. */
  static final long MAX_MQTT_PACKET = 268_435_455L;

  private SettingsBinder() {}

  static NodeSettings bind(Config config) {
    ConfigReader r = new ConfigReader(config);
    String nodeId = r.matching("node.id", ID_PATTERN, ID_RULE);
    List<MqttListenerSettings> listeners = ListenerBinder.bind(r);
    MqttSettings mqtt = new MqttSettings(
        listeners, limits(r), sessions(r), features(r), OperationsBinder.sys(r),
        retained(r), auth(r), TlsBinder.bind(r, listeners));
    ClusterSettings cluster = ClusterBinder.bind(r, nodeId);
    AdminSettings admin = OperationsBinder.admin(r);
    MetricsSettings metrics = OperationsBinder.metrics(r, cluster);
    PortConflicts.check(r, mqtt, cluster, admin, metrics);
    return new NodeSettings(nodeId, mqtt, cluster, admin, metrics);
  }

  static ListenerSettings listener(ConfigReader r, String path) {
    return new ListenerSettings(r.nonEmpty(path + ".host"), r.intIn(path + ".port", 0, 65535));
  }

  private static LimitSettings limits(ConfigReader r) {
    String p = "mqtt.limits.";
    return new LimitSettings(
        r.bytesIn(p + "max-packet-size", 16, MAX_MQTT_PACKET),
        r.bytesIn(p + "max-connect-packet-size", 16, MAX_MQTT_PACKET),
        r.durationIn(p + "connect-timeout", Duration.ofMillis(10), Duration.ofHours(1)),
        r.intIn(p + "receive-maximum", 1, 65535),
        r.intIn(p + "max-keep-alive", 0, 65535),
        r.intIn(p + "topic-alias-maximum", 0, 65535),
        r.intIn(p + "max-client-id-length", 23, 65535),
        r.intIn(p + "max-topic-levels", 1, 32768),
        r.intIn(p + "max-subscriptions-per-client", 1, 1_000_000));
  }

  private static SessionSettings sessions(ConfigReader r) {
    String p = "mqtt.sessions.";
    return new SessionSettings(
        r.longIn(p + "max-session-expiry", 0, 4_294_967_295L),
        r.secondsOrNever(p + "max-session-expiry-v3", 0, 4_294_967_295L),
        r.intIn(p + "max-sessions", 1, 100_000_000),
        r.intIn(p + "max-queued-messages", 0, 100_000_000),
        r.oneOf(p + "queue-overflow", QueueOverflow.class),
        r.intIn(p + "max-inflight", 1, 65535),
        r.oneOf(p + "shared-subscription-strategy", SharedStrategy.class));
  }

  private static RetainedSettings retained(ConfigReader r) {
    String p = "mqtt.retained.";
    return new RetainedSettings(
        r.durationIn(p + "tombstone-retention", Duration.ofMinutes(1), Duration.ofDays(30)),
        r.intIn(p + "max-tombstones", 1, 100_000_000));
  }

  private static AuthSettings auth(ConfigReader r) {
    String p = "mqtt.auth.";
    Duration delay = r.durationIn(p + "failure-delay", Duration.ZERO, Duration.ofMinutes(1));
    Duration maxDelay = r.durationIn(p + "max-failure-delay", Duration.ZERO, Duration.ofMinutes(10));
    if (maxDelay.compareTo(delay) < 0) {
      throw r.conflict(p + "max-failure-delay", "is below mqtt.auth.failure-delay");
    }
    return new AuthSettings(
        r.readableFileOrNone(p + "password-file"),
        r.readableFileOrNone(p + "acl-file"),
        delay,
        maxDelay,
        r.intIn(p + "threads", 1, 256),
        r.intIn(p + "max-pending", 1, 1_000_000));
  }

  private static FeatureSettings features(ConfigReader r) {
    String p = "mqtt.features.";
    return new FeatureSettings(
        r.intIn(p + "max-qos", 0, 2),
        r.bool(p + "retain-available"),
        r.bool(p + "wildcard-subscriptions"),
        r.bool(p + "subscription-identifiers"),
        r.bool(p + "shared-subscriptions"),
        r.intIn(p + "outbound-topic-alias-maximum", 0, 65535),
        r.string(p + "response-information"),
        r.bool(p + "allow-anonymous"));
  }
}

package io.simqtt.config;

import com.typesafe.config.Config;
import io.simqtt.config.SessionSettings.QueueOverflow;
import io.simqtt.config.SessionSettings.SharedStrategy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
        retained(r), auth(r), TlsBinder.bind(r, listeners), heapGuard(r), storage(r));
    ClusterSettings cluster = ClusterBinder.bind(r, nodeId, mqtt.limits().connectTimeout());
    AdminSettings admin = OperationsBinder.admin(r);
    MetricsSettings metrics = OperationsBinder.metrics(r, cluster);
    PortConflicts.check(r, mqtt, cluster, admin, metrics);
    return new NodeSettings(nodeId, mqtt, cluster, admin, metrics);
  }

  static ListenerSettings listener(ConfigReader r, String path) {
    return new ListenerSettings(r.nonEmpty(path + ".host"), r.intIn(path + ".port", 0, 65535));
  }

  /** The admission keys every MQTT listener section has. */
  static ConnectionLimits connectionLimits(ConfigReader r, String path) {
    String p = path + ".";
    return new ConnectionLimits(
        r.intIn(p + "max-connections", 0, 100_000_000),
        r.intIn(p + "max-connection-rate", 0, 1_000_000),
        r.intIn(p + "max-connection-rate-per-address", 0, 1_000_000));
  }

  private static HeapGuardSettings heapGuard(ConfigReader r) {
    String p = "mqtt.heap-guard.";
    double stop = r.fractionIn(p + "stop-above", 0.05, 1.0);
    double resume = r.fractionIn(p + "resume-below", 0.01, 1.0);
    if (resume >= stop) {
      throw r.conflict(p + "resume-below", "is not below mqtt.heap-guard.stop-above (" + stop
          + "): the guard would turn off while still above its mark");
    }
    return new HeapGuardSettings(r.bool(p + "enabled"), stop, resume);
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
        r.intIn(p + "max-subscriptions-per-client", 1, 1_000_000),
        r.intIn(p + "max-messages-per-second", 0, 100_000_000),
        r.bytesIn(p + "max-bytes-per-second", 0, 1L << 30));
  }

  private static SessionSettings sessions(ConfigReader r) {
    String p = "mqtt.sessions.";
    return new SessionSettings(
        r.longIn(p + "max-session-expiry", 0, 4_294_967_295L),
        r.secondsOrNever(p + "max-session-expiry-v3", 0, 4_294_967_295L),
        r.intIn(p + "max-sessions", 1, 100_000_000),
        r.intIn(p + "max-queued-messages", 0, 100_000_000),
        r.sizeIn(p + "max-queued-bytes", 0, 1L << 40),
        r.oneOf(p + "queue-overflow", QueueOverflow.class),
        r.intIn(p + "max-inflight", 1, 65535),
        r.oneOf(p + "shared-subscription-strategy", SharedStrategy.class),
        r.intIn(p + "queue-memory-messages", 1, 1_000_000));
  }

  private static RetainedSettings retained(ConfigReader r) {
    String p = "mqtt.retained.";
    return new RetainedSettings(
        r.durationIn(p + "tombstone-retention", Duration.ofMinutes(1), Duration.ofDays(30)),
        r.intIn(p + "max-tombstones", 1, 100_000_000));
  }

  private static StorageSettings storage(ConfigReader r) {
    String p = "mqtt.storage.";
    String dir = r.string(p + "data-dir").trim();
    Path dataDir = null;
    if (!dir.isEmpty()) {
      dataDir = Path.of(dir).toAbsolutePath().normalize();
      if (Files.exists(dataDir) && !Files.isDirectory(dataDir)) {
        throw r.conflict(p + "data-dir", "(" + dataDir + ") is a file, not a directory");
      }
    }
    return new StorageSettings(
        dataDir,
        r.oneOf(p + "sync", StorageSettings.Sync.class),
        r.durationIn(p + "sync-interval", Duration.ofMillis(1), Duration.ofSeconds(10)),
        r.intIn(p + "max-pending-writes", 100, 100_000_000),
        r.bytesIn(p + "max-pending-bytes", 1 << 20, 1L << 30),
        r.bytesIn(p + "cache-size", 1 << 20, 1L << 30));
  }

  private static AuthSettings auth(ConfigReader r) {
    String p = "mqtt.auth.";
    Duration delay = r.durationIn(p + "failure-delay", Duration.ZERO, Duration.ofMinutes(1));
    Duration maxDelay = r.durationIn(p + "max-failure-delay", Duration.ZERO, Duration.ofMinutes(10));
    if (maxDelay.compareTo(delay) < 0) {
      throw r.conflict(p + "max-failure-delay", "is below mqtt.auth.failure-delay");
    }
    Path passwords = r.readableFileOrNone(p + "password-file");
    Path acl = r.readableFileOrNone(p + "acl-file");
    Path pluginDir = r.readableDirectoryOrNone(p + "plugin-dir");
    List<String> chain = chain(r, passwords, acl, pluginDir);
    return new AuthSettings(
        passwords,
        acl,
        delay,
        maxDelay,
        r.intIn(p + "threads", 1, 256),
        r.intIn(p + "max-pending", 1, 1_000_000),
        pluginDir,
        chain,
        r.bool(p + "reload-on-change"),
        r.durationIn(p + "reload-delay", Duration.ofMillis(10), Duration.ofMinutes(1)),
        r.durationIn(p + "recovery-wait", Duration.ZERO, Duration.ofMinutes(10)),
        r.durationIn(p + "retry-wait", Duration.ofMillis(10), Duration.ofMinutes(10)));
  }

  /**
   * Plug-in names are only known once their jars are loaded (the broker checks those); here: no
   * name twice, a built-in only with its file, and every configured file asked somewhere.
   */
  private static List<String> chain(ConfigReader r, Path passwords, Path acl, Path pluginDir) {
    String key = "mqtt.auth.chain";
    List<String> chain = r.strings(key);
    Set<String> seen = new HashSet<>();
    for (String name : chain) {
      if (name.isBlank()) {
        throw r.conflict(key, "holds an empty name");
      }
      if (!seen.add(name)) {
        throw r.conflict(key, "names " + name + " twice");
      }
      boolean passwordFile = name.equals(AuthSettings.PASSWORD_FILE);
      boolean aclFile = name.equals(AuthSettings.ACL_FILE);
      if (passwordFile && passwords == null || aclFile && acl == null) {
        throw r.conflict(key, "names " + name + " but mqtt.auth." + name + " is empty");
      }
      if (!passwordFile && !aclFile && pluginDir == null) {
        throw r.conflict(key, "names " + name + ", which is not built in ("
            + AuthSettings.PASSWORD_FILE + ", " + AuthSettings.ACL_FILE
            + "), and mqtt.auth.plugin-dir is empty");
      }
    }
    if (!chain.isEmpty()) {
      for (var builtIn : List.of(
          Map.entry(AuthSettings.PASSWORD_FILE, passwords != null),
          Map.entry(AuthSettings.ACL_FILE, acl != null))) {
        if (builtIn.getValue() && !seen.contains(builtIn.getKey())) {
          throw r.conflict(key, "leaves out " + builtIn.getKey() + " although mqtt.auth."
              + builtIn.getKey() + " is set: name it where it is to be asked");
        }
      }
    }
    return chain;
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

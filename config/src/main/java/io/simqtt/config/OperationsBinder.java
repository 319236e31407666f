package io.simqtt.config;

import java.time.Duration;
import java.util.Locale;

/** Reads the admin and metrics sections: the ways operators reach a running node. */
final class OperationsBinder {

  private OperationsBinder() {}

  static AdminSettings admin(ConfigReader r) {
    boolean enabled = r.bool("admin.enabled");
    ListenerSettings listen = SettingsBinder.listener(r, "admin");
    String token = r.string("admin.token");
    if (enabled && token.isEmpty() && !isLoopback(listen.host())) {
      // The API kicks clients and deletes retained messages: never open to a network unguarded.
      throw r.hidden("admin.token", "is empty but admin.host = " + listen.host()
          + " is not a loopback address: set a token (e.g. SIMQTT_ADMIN_TOKEN)"
          + " or bind admin.host to 127.0.0.1");
    }
    String readOnlyToken = r.string("admin.read-only-token");
    if (!readOnlyToken.isEmpty() && token.isEmpty()) {
      // Without admin.token nothing is checked: a read-only token would restrict nobody.
      throw r.hidden("admin.read-only-token", "is set but admin.token is empty: set admin.token"
          + " too, or every caller may make every call");
    }
    if (!readOnlyToken.isEmpty() && readOnlyToken.equals(token)) {
      throw r.hidden("admin.read-only-token", "is the same as admin.token: use two tokens");
    }
    return new AdminSettings(
        enabled, listen, token, readOnlyToken, EndpointTls.read(r, "admin"));
  }

  static MetricsSettings metrics(ConfigReader r, ClusterSettings cluster) {
    boolean enabled = r.bool("metrics.enabled");
    ListenerSettings listen = SettingsBinder.listener(r, "metrics");
    int peers = cluster.peers().size();
    int readyMinPeers = r.intIn("metrics.ready-min-peers", 0, Integer.MAX_VALUE);
    if (readyMinPeers > peers) {
      throw r.conflict("metrics.ready-min-peers", "is " + readyMinPeers + " but the cluster has "
          + peers + " peer" + (peers == 1 ? "" : "s") + ": the node could never be ready");
    }
    return new MetricsSettings(enabled, listen, readyMinPeers, EndpointTls.read(r, "metrics"));
  }

  static SysSettings sys(ConfigReader r) {
    Duration interval = r.durationIn("mqtt.sys.interval", Duration.ZERO, Duration.ofDays(1));
    if (!interval.isZero() && interval.toMillis() < 100) {
      throw r.conflict("mqtt.sys.interval", "is below 100ms: use 0 to turn $SYS off");
    }
    return new SysSettings(interval);
  }

  /** By name only: resolving a host name here could block on DNS before anything starts. */
  static boolean isLoopback(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    return h.equals("localhost") || h.equals("::1") || h.equals("[::1]")
        || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
  }
}

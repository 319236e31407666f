package io.simqtt.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Refuses two of a node's listeners on one port, which would otherwise fail at bind time with
 * "address already in use" and no hint of which two settings collide. Ports on distinct
 * specific addresses may be shared; port 0 (the OS picks) never collides.
 */
final class PortConflicts {

  private record Bound(String key, String host, int port) {}

  private PortConflicts() {}

  static void check(ConfigReader r, MqttSettings mqtt, ClusterSettings cluster,
      AdminSettings admin, MetricsSettings metrics) {
    List<Bound> bound = new ArrayList<>();
    for (MqttListenerSettings l : mqtt.listeners()) {
      bound.add(new Bound(ListenerBinder.PATH + "." + l.name() + ".port", l.host(), l.port()));
    }
    if (!cluster.isSingleNode()) {
      bound.add(new Bound("cluster.listen.port", cluster.listen().host(), cluster.listen().port()));
    }
    if (admin.enabled()) {
      bound.add(new Bound("admin.port", admin.listen().host(), admin.listen().port()));
    }
    if (metrics.enabled()) {
      bound.add(new Bound("metrics.port", metrics.listen().host(), metrics.listen().port()));
    }
    for (int i = 1; i < bound.size(); i++) {
      Bound b = bound.get(i);
      for (int j = 0; j < i; j++) {
        Bound earlier = bound.get(j);
        if (b.port() != 0 && b.port() == earlier.port() && overlap(b.host(), earlier.host())) {
          throw r.conflict(b.key(), "is also " + earlier.key() + ": use different ports");
        }
      }
    }
  }

  private static boolean overlap(String a, String b) {
    return a.equals(b) || isWildcard(a) || isWildcard(b);
  }

  private static boolean isWildcard(String host) {
    return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
  }
}

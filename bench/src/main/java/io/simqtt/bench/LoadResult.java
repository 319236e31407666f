package io.simqtt.bench;

import java.util.Locale;

/**
 * The figures of one run. Rates and latencies cover the measured window (messages sent after the
 * warm-up); sent, delivered, lost and dup cover the whole run. Values that do not apply are -1.
 *
 * <p>conn-storm: {@code rssBytesPerConnection} is (RSS after - RSS before) / connections and
 * includes the broker's fixed costs of the first connections (the JVM touching its young
 * generation for the first time, lazily created pools); {@code rssMarginalBytesPerConnection} is
 * (RSS after - RSS at half) / (connections - connections at half), the cost of one more
 * connection once those are paid, which is what scales to a million connections.
 */
public record LoadResult(
    String scenario,
    String broker,
    String protocol,
    int qos,
    int payload,
    int publishers,
    int subscribers,
    int clients,
    double durationSeconds,
    long rate,
    long sent,
    long expected,
    long delivered,
    double msgsPerSecond,
    double p50Micros,
    double p99Micros,
    double p999Micros,
    double maxMicros,
    long lost,
    long duplicates,
    long refused,
    double brokerCpuMicrosPerMsg,
    long connections,
    double connectsPerSecond,
    long rssBeforeBytes,
    long rssAfterBytes,
    double rssBytesPerConnection,
    double brokerCpuMicrosPerConnect,
    long failedConnections,
    int keepAliveSeconds,
    long connectionsAtHalf,
    long rssHalfBytes,
    double rssMarginalBytesPerConnection,
    long pingsSent,
    long pongsReceived,
    String error) {

  /** Losses are meaningful for QoS >= 1, or QoS 0 when the rate was bounded. */
  public boolean lossMeaningful() {
    return qos > 0 || rate > 0;
  }

  public String toJson() {
    StringBuilder b = new StringBuilder(512).append('{');
    str(b, "scenario", scenario).append(',');
    str(b, "broker", broker).append(',');
    str(b, "protocol", protocol).append(',');
    num(b, "qos", qos).append(',');
    num(b, "payload", payload).append(',');
    num(b, "publishers", publishers).append(',');
    num(b, "subscribers", subscribers).append(',');
    num(b, "clients", clients).append(',');
    dbl(b, "duration_s", durationSeconds).append(',');
    num(b, "rate", rate).append(',');
    num(b, "sent", sent).append(',');
    num(b, "expected", expected).append(',');
    num(b, "delivered", delivered).append(',');
    dbl(b, "msgs_per_s", msgsPerSecond).append(',');
    dbl(b, "p50_us", p50Micros).append(',');
    dbl(b, "p99_us", p99Micros).append(',');
    dbl(b, "p999_us", p999Micros).append(',');
    dbl(b, "max_us", maxMicros).append(',');
    num(b, "lost", lost).append(',');
    b.append("\"lost_meaningful\":").append(lossMeaningful()).append(',');
    num(b, "dup", duplicates).append(',');
    num(b, "refused", refused).append(',');
    dbl(b, "broker_cpu_us_per_msg", brokerCpuMicrosPerMsg).append(',');
    num(b, "connections", connections).append(',');
    dbl(b, "connects_per_s", connectsPerSecond).append(',');
    num(b, "rss_before_bytes", rssBeforeBytes).append(',');
    num(b, "rss_after_bytes", rssAfterBytes).append(',');
    dbl(b, "rss_bytes_per_conn", rssBytesPerConnection).append(',');
    dbl(b, "broker_cpu_us_per_connect", brokerCpuMicrosPerConnect).append(',');
    num(b, "failed_connections", failedConnections).append(',');
    num(b, "keep_alive_s", keepAliveSeconds).append(',');
    num(b, "connections_half", connectionsAtHalf).append(',');
    num(b, "rss_half_bytes", rssHalfBytes).append(',');
    dbl(b, "rss_marginal_bytes_per_conn", rssMarginalBytesPerConnection).append(',');
    num(b, "pings", pingsSent).append(',');
    num(b, "pongs", pongsReceived);
    if (error != null) {
      b.append(',');
      str(b, "error", error);
    }
    return b.append('}').toString();
  }

  /** One line for people. */
  public String summary() {
    if ("conn-storm".equals(scenario)) {
      return String.format(
          Locale.ROOT,
          "%s conn-storm on %s, keep alive %d s: %d connections (%d failed) at %.0f connects/s;"
              + " broker RSS %s -> %s = %s/connection, marginal %s/connection (%s at %d connections);"
              + " %d PINGREQ, %d PINGRESP%s",
          broker, protocol, keepAliveSeconds, connections, failedConnections, connectsPerSecond,
          kb(rssBeforeBytes), kb(rssAfterBytes), bytes(rssBytesPerConnection),
          bytes(rssMarginalBytesPerConnection), kb(rssHalfBytes), connectionsAtHalf, pingsSent,
          pongsReceived, error == null ? "" : " ERROR " + error);
    }
    return String.format(
        Locale.ROOT,
        "%s %s qos%d %dB %dpub/%dsub: %.0f msgs/s over %.1fs, latency p50 %.0f p99 %.0f p999 %.0f us,"
            + " sent %d delivered %d/%d lost %d%s dup %d%s, broker cpu %s us/msg%s",
        broker, scenario, qos, payload, publishers, subscribers, msgsPerSecond, durationSeconds,
        p50Micros, p99Micros, p999Micros, sent, delivered, expected, lost,
        lossMeaningful() ? "" : " (qos0 unbounded: not meaningful)", duplicates,
        refused > 0 ? " refused " + refused : "",
        brokerCpuMicrosPerMsg < 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", brokerCpuMicrosPerMsg),
        error == null ? "" : " ERROR " + error);
  }

  private static String bytes(double b) {
    return b == -1 || Double.isNaN(b) ? "n/a" : String.format(Locale.ROOT, "%.0f B", b);
  }

  private static String kb(long bytes) {
    return bytes < 0 ? "n/a" : (bytes / 1024) + " KiB";
  }

  private static StringBuilder str(StringBuilder b, String k, String v) {
    b.append('"').append(k).append("\":");
    if (v == null) {
      return b.append("null");
    }
    b.append('"');
    for (char c : v.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"');
  }

  private static StringBuilder num(StringBuilder b, String k, long v) {
    return b.append('"').append(k).append("\":").append(v);
  }

  private static StringBuilder dbl(StringBuilder b, String k, double v) {
    b.append('"').append(k).append("\":");
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return b.append("null");
    }
    return b.append(String.format(Locale.ROOT, "%.2f", v));
  }
}

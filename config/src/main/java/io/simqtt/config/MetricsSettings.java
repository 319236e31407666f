package io.simqtt.config;

/**
 * The HTTP endpoint of a node for monitoring: Prometheus text on {@code GET /metrics}, and the
 * liveness and readiness probes {@code GET /health/live} and {@code GET /health/ready}.
 *
 * @param enabled whether the node serves it
 * @param listen where it listens
 * @param readyMinPeers how many peer links must be up for the node to report ready
 * @param tls the certificate the endpoint presents (HTTPS), or null for plain HTTP
 */
public record MetricsSettings(
    boolean enabled, ListenerSettings listen, int readyMinPeers, EndpointTls tls) {

  /** Over plain HTTP. */
  public MetricsSettings(boolean enabled, ListenerSettings listen, int readyMinPeers) {
    this(enabled, listen, readyMinPeers, null);
  }

  /** Off: for settings built in code, which should not open ports nobody asked for. */
  public static final MetricsSettings OFF =
      new MetricsSettings(false, new ListenerSettings("127.0.0.1", 0), 0);
}

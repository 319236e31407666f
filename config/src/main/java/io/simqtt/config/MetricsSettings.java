package io.simqtt.config;

/**
 * The Prometheus text endpoint of a node ({@code GET /metrics}).
 *
 * @param enabled whether the node serves it
 * @param listen where it listens
 */
public record MetricsSettings(boolean enabled, ListenerSettings listen) {

  /** Off: for settings built in code, which should not open ports nobody asked for. */
  public static final MetricsSettings OFF =
      new MetricsSettings(false, new ListenerSettings("127.0.0.1", 0));
}

package io.simqtt.bench;

/** The load shapes the tool can run. */
public enum Scenario {
  /** P publishers on one topic, one subscriber. */
  FAN_IN("fan-in"),
  /** One publisher, S subscribers of the same topic. */
  FAN_OUT("fan-out"),
  /** N publisher/subscriber pairs, each on its own topic. */
  PAIRS("pairs"),
  /** P publishers, one {@code $share} group of S members. */
  SHARED("shared"),
  /** 100k wildcard subscriptions spread over S clients; each publish matches exactly one. */
  WILDCARD("wildcard"),
  /**
   * Open many idle connections (kept alive with PINGREQ) at a bounded rate; connects/s, broker
   * RSS per connection and the marginal RSS per connection of the second half.
   */
  CONN_STORM("conn-storm"),
  /** Publishers on --port, subscribers on --sub-host/--sub-port (another cluster node). */
  CROSS_NODE("cross-node");

  private final String label;

  Scenario(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  /** Accepts "fan-in", "fan_in" or "FAN_IN". */
  public static Scenario parse(String s) {
    for (Scenario v : values()) {
      if (v.label.equalsIgnoreCase(s) || v.name().equalsIgnoreCase(s)) {
        return v;
      }
    }
    throw new IllegalArgumentException("unknown scenario " + s + "; one of fan-in, fan-out, pairs,"
        + " shared, wildcard, conn-storm, cross-node");
  }

  @Override
  public String toString() {
    return label;
  }
}

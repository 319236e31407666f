package io.simqtt.config;

/**
 * What one MQTT listener admits, from its own section under {@code mqtt.listeners}: every
 * listener carries the same three keys. A connection beyond any of them is closed as it is
 * accepted, before a byte of it is read.
 *
 * @param maxConnections connections open on the listener at once; 0 = no limit
 * @param maxConnectionRate new connections per second on the listener (one second's worth may
 *     come at once); 0 = no limit
 * @param maxConnectionRatePerAddress new connections per second from one source address (one
 *     second's worth at once); 0 = no limit
 */
public record ConnectionLimits(
    int maxConnections, int maxConnectionRate, int maxConnectionRatePerAddress) {

  /** The defaults of reference.conf: nothing limited. */
  public static final ConnectionLimits NONE = new ConnectionLimits(0, 0, 0);
}

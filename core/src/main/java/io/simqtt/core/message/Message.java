package io.simqtt.core.message;

import io.simqtt.core.codec.MqttProperties;

/**
 * An accepted application message, immutable and shared by every delivery of it.
 *
 * @param topic the topic name (aliases already resolved)
 * @param payload the payload bytes, never changed after construction
 * @param qos the QoS it was published with
 * @param retain the RETAIN flag it was published with
 * @param properties publish properties passed through to subscribers (payload format, content type,
 *     response topic, correlation data, user properties); never topic alias or subscription ids
 * @param expiresAtMillis wall-clock deadline from Message Expiry Interval, or 0 for never
 * @param publisherId client id of the publisher (for No Local), or "" when published by the
 *     broker itself
 * @param origin the node that accepted the message, or "" on a single node
 * @param stamp with {@code origin}, identifies the message cluster-wide: a hybrid clock value
 *     of the accepting node, so it never repeats there, not even across restarts; 0 = none. A
 *     session that moved between nodes uses it to drop the second copy of a message that
 *     reached it both directly and through its old node.
 */
public record Message(
    String topic,
    byte[] payload,
    int qos,
    boolean retain,
    MqttProperties properties,
    long expiresAtMillis,
    String publisherId,
    String origin,
    long stamp) {

  /** A message without cluster identity (a single node, or before the router stamps it). */
  public Message(
      String topic,
      byte[] payload,
      int qos,
      boolean retain,
      MqttProperties properties,
      long expiresAtMillis,
      String publisherId) {
    this(topic, payload, qos, retain, properties, expiresAtMillis, publisherId, "", 0);
  }

  /** This message identified as accepted by node {@code origin} at {@code stamp}. */
  public Message identified(String origin, long stamp) {
    return new Message(
        topic, payload, qos, retain, properties, expiresAtMillis, publisherId, origin, stamp);
  }

  /** Whether the message carries a cluster-wide identity. */
  public boolean isIdentified() {
    return stamp != 0;
  }

  public boolean hasExpiry() {
    return expiresAtMillis != 0;
  }

  public boolean isExpired(long nowMillis) {
    return expiresAtMillis != 0 && nowMillis >= expiresAtMillis;
  }

  /** Whole seconds left of the Message Expiry Interval, at least 1 while not expired. */
  public long remainingExpirySeconds(long nowMillis) {
    long left = expiresAtMillis - nowMillis;
    return Math.max(1, (left + 999) / 1000);
  }
}

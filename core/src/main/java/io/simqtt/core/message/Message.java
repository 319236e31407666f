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
 */
public record Message(
    String topic,
    byte[] payload,
    int qos,
    boolean retain,
    MqttProperties properties,
    long expiresAtMillis,
    String publisherId) {

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

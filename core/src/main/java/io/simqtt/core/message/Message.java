package io.simqtt.core.message;

import io.netty.buffer.ByteBufUtil;
import io.simqtt.core.codec.MqttEncoder;
import io.simqtt.core.codec.MqttProperties;
import java.util.Objects;

/** An accepted application message, immutable and shared by every delivery of it. */
public final class Message {
  private final String topic;
  private final byte[] payload;
  private final int qos;
  private final boolean retain;
  private final MqttProperties properties;
  private final long expiresAtMillis;
  private final String publisherId;
  private final String origin;
  private final long stamp;
  /**
   * {@link #queuedBytes}, 0 until first asked for (a topic has a character at least). A benign
   * race, as {@link String#hashCode}'s: threads that ask at once each compute the same value.
   */
  private int queuedBytes;

  /**
   * @param topic the topic name (aliases already resolved)
   * @param payload the payload bytes, never changed after construction
   * @param qos the QoS it was published with
   * @param retain the RETAIN flag it was published with
   * @param properties publish properties passed through to subscribers (payload format, content
   *     type, response topic, correlation data, user properties); never topic alias or
   *     subscription ids
   * @param expiresAtMillis wall-clock deadline from Message Expiry Interval, or 0 for never
   * @param publisherId client id of the publisher (for No Local), or "" when published by the
   *     broker itself
   * @param origin the node that accepted the message, or "" on a single node
   * @param stamp with {@code origin}, identifies the message cluster-wide: a hybrid clock value
   *     of the accepting node, so it never repeats there, not even across restarts; 0 = none. A
   *     session that moved between nodes uses it to drop the second copy of a message that
   *     reached it both directly and through its old node.
   */
  public Message(
      String topic,
      byte[] payload,
      int qos,
      boolean retain,
      MqttProperties properties,
      long expiresAtMillis,
      String publisherId,
      String origin,
      long stamp) {
    this.topic = topic;
    this.payload = payload;
    this.qos = qos;
    this.retain = retain;
    this.properties = properties;
    this.expiresAtMillis = expiresAtMillis;
    this.publisherId = publisherId;
    this.origin = origin;
    this.stamp = stamp;
  }

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

  public String topic() {
    return topic;
  }

  public byte[] payload() {
    return payload;
  }

  public int qos() {
    return qos;
  }

  public boolean retain() {
    return retain;
  }

  public MqttProperties properties() {
    return properties;
  }

  public long expiresAtMillis() {
    return expiresAtMillis;
  }

  public String publisherId() {
    return publisherId;
  }

  public String origin() {
    return origin;
  }

  public long stamp() {
    return stamp;
  }

  /**
   * What a delivery of this message weighs against its session's queue bound ({@code
   * mqtt.sessions.max-queued-bytes}): its payload, topic (UTF-8) and properties as encoded.
   * Computed from the message alone, so a delivery read back from disk or received from another
   * node weighs what it weighed when it was queued; computed once, the first time it is asked
   * for (most messages are never queued).
   */
  public int queuedBytes() {
    int size = queuedBytes;
    if (size == 0) {
      size = payload.length
          + ByteBufUtil.utf8Bytes(topic)
          + MqttEncoder.propertiesSize(properties);
      queuedBytes = size;
    }
    return size;
  }

  /** This message identified as accepted by node {@code origin} at {@code stamp}. */
  public Message identified(String origin, long stamp) {
    Message m = new Message(
        topic, payload, qos, retain, properties, expiresAtMillis, publisherId, origin, stamp);
    m.queuedBytes = queuedBytes;
    return m;
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

  /** As a record's: every field equal, the payload the same array. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Message m
        && topic.equals(m.topic)
        && payload == m.payload
        && qos == m.qos
        && retain == m.retain
        && Objects.equals(properties, m.properties)
        && expiresAtMillis == m.expiresAtMillis
        && Objects.equals(publisherId, m.publisherId)
        && Objects.equals(origin, m.origin)
        && stamp == m.stamp;
  }

  @Override
  public int hashCode() {
    return Objects.hash(topic, System.identityHashCode(payload), qos, retain, properties,
        expiresAtMillis, publisherId, origin, stamp);
  }

  @Override
  public String toString() {
    return "Message[topic=" + topic + ", qos=" + qos + ", retain=" + retain + ", payload="
        + payload.length + " bytes, expiresAtMillis=" + expiresAtMillis + ", publisherId="
        + publisherId + ", origin=" + origin + ", stamp=" + stamp + "]";
  }
}

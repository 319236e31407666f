package io.simqtt.config;

/**
 * How sessions are kept.
 *
 * @param maxSessionExpiry cap on the Session Expiry Interval, seconds; 4294967295 = never expire
 * @param maxSessionExpiryV3 the Session Expiry Interval of MQTT 3.1/3.1.1 sessions with clean
 *     session 0 (which the spec never expires), seconds, before {@code maxSessionExpiry} caps it;
 *     4294967295 = never expire, as the spec says
 * @param maxSessions most sessions one node holds; a CONNECT that would create one more is
 *     refused (a reconnect to a session the node holds never is)
 * @param maxQueuedMessages messages kept for one session beyond its in-flight window (in durable
 *     mode those only on disk count too)
 * @param maxQueuedBytes bytes of those messages (payload, topic and properties, see {@code
 *     Delivery#queuedBytes} in core) one session's queue holds at most, on the heap and on disk
 * @param queueOverflow what happens when that queue is full (by count or by bytes)
 * @param maxInflight cap on the outbound in-flight window (the client's Receive Maximum applies
 *     below it)
 * @param sharedSubscriptionStrategy how one member of a shared group is picked per message
 * @param queueMemoryMessages in durable mode, queued messages of one stored session kept on the
 *     heap; the rest of its queue is only on disk and read back in pages as the queue drains
 */
public record SessionSettings(
    long maxSessionExpiry,
    long maxSessionExpiryV3,
    int maxSessions,
    int maxQueuedMessages,
    long maxQueuedBytes,
    QueueOverflow queueOverflow,
    int maxInflight,
    SharedStrategy sharedSubscriptionStrategy,
    int queueMemoryMessages) {

  /** Which message gives way when a session queue is full; either way the drop is counted. */
  public enum QueueOverflow {
    DROP_NEW,
    DROP_OLDEST
  }

  /** How a shared subscription group spreads messages over its members. */
  public enum SharedStrategy {
    ROUND_ROBIN,
    RANDOM
  }
}

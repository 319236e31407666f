package io.simqtt.config;

import java.time.Duration;

/**
 * Bounds on what one connection may send and hold.
 *
 * @param maxPacketSize largest packet accepted after CONNECT, in bytes (announced as Maximum Packet
 *     Size)
 * @param maxConnectPacketSize largest packet accepted before CONNECT is accepted
 * @param connectTimeout time a new connection has to send CONNECT; also the longest a CONNECT
 *     waits for its credential check, and for its session's read of the disk
 * @param receiveMaximum inbound QoS 1/2 publishes a client may have unacknowledged
 * @param maxKeepAlive largest keep alive granted, in seconds; a larger or zero client value is
 *     lowered to it and announced as Server Keep Alive (0 = no cap)
 * @param topicAliasMaximum topic aliases a client may use towards the broker (0 = none)
 * @param maxClientIdLength longest client identifier accepted
 * @param maxTopicLevels most levels in a topic name or filter
 * @param maxSubscriptionsPerClient most subscriptions one session may hold
 * @param maxMessagesPerSecond PUBLISH packets one client may send per second (one second's worth
 *     at once); beyond it its socket is not read for a while; 0 = no limit
 * @param maxBytesPerSecond bytes of packets one client may send per second, likewise; 0 = no limit
 */
public record LimitSettings(
    int maxPacketSize,
    int maxConnectPacketSize,
    Duration connectTimeout,
    int receiveMaximum,
    int maxKeepAlive,
    int topicAliasMaximum,
    int maxClientIdLength,
    int maxTopicLevels,
    int maxSubscriptionsPerClient,
    int maxMessagesPerSecond,
    int maxBytesPerSecond) {

  /** Whether a client's inbound rate is limited at all. */
  public boolean limitsInboundRate() {
    return maxMessagesPerSecond > 0 || maxBytesPerSecond > 0;
  }
}

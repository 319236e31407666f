package io.simqtt.core.session;

import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.topic.SubscriptionOptions;
import java.util.Map;

/**
 * What an operator sees of one session, copied inside a session task so it is consistent.
 *
 * @param clientId the client identifier
 * @param connected whether a connection is attached
 * @param remoteAddress host:port of the connection ("" when offline)
 * @param version protocol version of the connection (null when offline)
 * @param keepAlive keep alive in force, seconds (0 when offline or none)
 * @param sessionExpiry Session Expiry Interval, seconds
 * @param subscriptions filter to options
 * @param queued messages waiting beyond the in-flight window
 * @param inflight outbound QoS 1/2 messages not yet acknowledged
 */
public record ClientInfo(
    String clientId,
    boolean connected,
    String remoteAddress,
    MqttVersion version,
    int keepAlive,
    long sessionExpiry,
    Map<String, SubscriptionOptions> subscriptions,
    int queued,
    int inflight) {}

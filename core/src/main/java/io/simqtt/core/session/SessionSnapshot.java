package io.simqtt.core.session;

import io.simqtt.core.topic.SubscriptionOptions;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything a session holds, taken when it moves to another node: subscriptions, unacknowledged
 * and queued messages in order, inbound QoS 2 ids awaiting PUBREL, expiry and the last packet id;
 * {@code seen} lists the messages it got while settling after an earlier move, so the next node
 * goes on dropping their second copies.
 */
public record SessionSnapshot(
    Map<String, SubscriptionOptions> subscriptions,
    List<InflightMessage> inflight,
    List<Delivery> queued,
    Set<Integer> inboundQos2,
    long expiryInterval,
    int lastPacketId,
    List<MessageKey> seen) {}

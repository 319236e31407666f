package io.simqtt.core.topic;

/**
 * The options of one subscription.
 *
 * @param qos the granted maximum QoS
 * @param noLocal do not deliver the client's own publications back to it
 * @param retainAsPublished keep the RETAIN flag as published instead of clearing it
 * @param retainHandling 0 send retained on subscribe, 1 only if new, 2 never
 * @param subscriptionId the Subscription Identifier, 0 = none
 */
public record SubscriptionOptions(
    int qos, boolean noLocal, boolean retainAsPublished, int retainHandling, int subscriptionId) {}

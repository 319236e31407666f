package io.simqtt.config;

/**
 * Optional protocol features and how they are announced in CONNACK.
 *
 * @param maxQos highest QoS the broker accepts (announced as Maximum QoS when below 2)
 * @param retainAvailable whether retained messages are kept
 * @param wildcardSubscriptions whether filters with + and # are accepted
 * @param subscriptionIdentifiers whether Subscription Identifiers are accepted
 * @param sharedSubscriptions whether $share/ filters are accepted
 * @param outboundTopicAliasMaximum aliases the broker assigns on its way out (0 = off)
 * @param responseInformation sent as Response Information when a client asks ("" = never)
 * @param allowAnonymous whether a CONNECT without user name is accepted
 */
public record FeatureSettings(
    int maxQos,
    boolean retainAvailable,
    boolean wildcardSubscriptions,
    boolean subscriptionIdentifiers,
    boolean sharedSubscriptions,
    int outboundTopicAliasMaximum,
    String responseInformation,
    boolean allowAnonymous) {}

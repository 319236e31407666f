package io.simqtt.core.session;

/**
 * One QoS 1/2 message a persistent session held, as a {@link SessionStore} gives it back.
 *
 * @param clientId the session's client id
 * @param seq the entry's sequence number in its session (rising in the session's order)
 * @param delivery the delivery, message included
 * @param packetId the packet id it went out under, or 0 while still queued
 * @param released for QoS 2: PUBREC came and PUBREL went, only PUBCOMP is awaited
 */
public record StoredMessage(
    String clientId, long seq, Delivery delivery, int packetId, boolean released) {}

package io.simqtt.core.auth;

import java.net.InetSocketAddress;

/**
 * Who a connected client is, for an {@link Authorizer}.
 *
 * @param clientId the client id
 * @param userName the user name it connected with, or null
 * @param certificateIdentity the identity a TLS listener took from its certificate, or null
 * @param listener the name of the listener it came in on
 * @param remoteAddress where it connects from
 */
public record ClientIdentity(
    String clientId,
    String userName,
    String certificateIdentity,
    String listener,
    InetSocketAddress remoteAddress) {}

package io.simqtt.core.auth;

import java.net.InetSocketAddress;

/**
 * What a client presents when it connects, for an {@link Authenticator} to judge.
 *
 * @param clientId the client id (the one the broker assigned when the CONNECT had none)
 * @param userName the CONNECT's user name, or null
 * @param password the CONNECT's password, or null; authenticators must not keep it
 * @param certificateIdentity the identity a TLS listener took from the client's certificate, or
 *     null on a plain listener
 * @param listener the name of the listener the client came in on
 * @param remoteAddress where the client connects from
 */
public record ConnectAttempt(
    String clientId,
    String userName,
    byte[] password,
    String certificateIdentity,
    String listener,
    InetSocketAddress remoteAddress) {}

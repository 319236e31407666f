/**
 * TLS for MQTT listeners: the server context built from PEM files and rebuilt when they change
 * ({@code ServerTls}), what a client certificate names ({@code CertificateIdentity}), and why
 * handshakes fail, counted and logged per listener ({@code HandshakeFailures}).
 */
package io.simqtt.core.server.tls;

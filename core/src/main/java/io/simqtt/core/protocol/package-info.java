/**
 * The MQTT protocol on one connection: CONNECT negotiation, the connection state machine, inbound
 * PUBLISH (aliases, QoS handshakes, quotas), SUBSCRIBE/UNSUBSCRIBE, DISCONNECT and keep alive.
 *
 * <p>After CONNECT, every packet of a connection is handled as a task of its session, so the
 * session and connection state are touched by one thread at a time without locks.
 *
 * <p>In durable mode a QoS 1/2 PUBLISH is acknowledged once what it caused is durable, and a
 * connection's acknowledgements go out in publish order ({@code PublishAcks}).
 */
package io.simqtt.core.protocol;

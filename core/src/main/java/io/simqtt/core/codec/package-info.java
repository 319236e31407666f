/**
 * The MQTT 3.1, 3.1.1 and 5.0 wire format: packet records, properties, a framer that checks
 * Remaining Length before buffering, and an encoder; both also as Netty handlers for clients.
 *
 * <p>The broker owns its codec rather than using Netty's: it needs reason codes for every
 * malformed input (0x81 / 0x82 / 0x95), strict UTF-8 and property rules, a packet size limit that
 * changes once CONNECT is accepted, and acks written the way every client understands.
 */
package io.simqtt.core.codec;

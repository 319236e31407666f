/**
 * MQTT over WebSocket (RFC 6455, MQTT 5 section 6): the HTTP upgrade on the listener's path with
 * subprotocol mqtt, binary frames turned into the byte stream the MQTT connection reads and its
 * writes into binary frames ({@code WebSocketFrames}), the Close frame for a frame the decoder
 * refuses ({@code FrameViolations}), and plain HTTP answers to requests that
 * are not an upgrade on that path ({@code HttpRefusal}).
 */
package io.simqtt.core.server.ws;

package io.simqtt.core.protocol;

/**
 * A user event from a transport handler below the MQTT connection: the client broke the
 * transport's own rules ({@code what}, for the log), and the handler has already told it so in
 * the transport's terms (a WebSocket Close frame with its status code). The connection then ends
 * as after the server's last MQTT packet: output shut, input read and dropped until the client
 * closes, so that answer is not lost to a reset.
 */
public record TransportViolation(String what) {}

package io.simqtt.core.codec;

/**
 * Passed up the pipeline in place of a packet when input cannot be accepted. The decoder discards
 * everything after it; the connection answers with {@code reasonCode} where the protocol allows
 * and closes.
 *
 * @param reasonCode MALFORMED_PACKET, PROTOCOL_ERROR, PACKET_TOO_LARGE or
 *     UNSUPPORTED_PROTOCOL_VERSION
 * @param message what was wrong, for logs and the Reason String
 */
public record DecodeFailure(int reasonCode, String message) {}

package io.simqtt.core.codec;

/**
 * Thrown inside the decoder to unwind from a deeply nested field and turned into exactly one
 * {@link DecodeFailure} at the top. Bad input is routine on a public port, so no stack trace.
 */
final class DecodeException extends RuntimeException {
  private final int reasonCode;

  DecodeException(int reasonCode, String message) {
    super(message, null, false, false);
    this.reasonCode = reasonCode;
  }

  static DecodeException malformed(String message) {
    return new DecodeException(ReasonCode.MALFORMED_PACKET, message);
  }

  static DecodeException protocolError(String message) {
    return new DecodeException(ReasonCode.PROTOCOL_ERROR, message);
  }

  /** The same failure, its message led by where it happened (the packet's name). */
  DecodeException in(String where) {
    return new DecodeException(reasonCode, where + " " + getMessage());
  }

  int reasonCode() {
    return reasonCode;
  }

  DecodeFailure toFailure() {
    return new DecodeFailure(reasonCode, getMessage());
  }
}

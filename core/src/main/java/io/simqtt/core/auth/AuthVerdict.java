package io.simqtt.core.auth;

/**
 * What the broker does with a CONNECT after {@link Authentication}: let it in, or refuse it with
 * a CONNACK reason code after waiting {@code delayMillis}.
 */
public record AuthVerdict(boolean allowed, int reasonCode, String reason, long delayMillis) {
  static final AuthVerdict ALLOWED = new AuthVerdict(true, 0, null, 0);
}

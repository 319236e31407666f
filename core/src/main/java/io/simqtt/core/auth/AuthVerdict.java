package io.simqtt.core.auth;

/**
 * What the broker does with a CONNECT after {@link Authentication}: let it in with its {@code
 * permissions}, or refuse it with a CONNACK reason code after waiting {@code delayMillis}.
 */
public record AuthVerdict(
    boolean allowed, int reasonCode, String reason, long delayMillis, Permissions permissions) {
  static AuthVerdict allowed(Permissions permissions) {
    return new AuthVerdict(true, 0, null, 0, permissions);
  }

  static AuthVerdict refused(int reasonCode, String reason, long delayMillis) {
    return new AuthVerdict(false, reasonCode, reason, delayMillis, null);
  }
}

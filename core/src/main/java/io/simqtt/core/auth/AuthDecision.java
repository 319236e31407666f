package io.simqtt.core.auth;

import io.simqtt.core.codec.ReasonCode;

/**
 * An {@link Authenticator}'s answer: let the client in, refuse it (with the CONNACK reason code
 * and a reason for the log), or leave the decision to the next authenticator in the chain.
 */
public final class AuthDecision {
  private static final AuthDecision ALLOW = new AuthDecision(Kind.ALLOW, 0, null);
  private static final AuthDecision NOT_MINE = new AuthDecision(Kind.NOT_MINE, 0, null);

  /** What the decision says. */
  public enum Kind {
    ALLOW,
    DENY,
    NOT_MINE
  }

  private final Kind kind;
  private final int reasonCode;
  private final String reason;

  private AuthDecision(Kind kind, int reasonCode, String reason) {
    this.kind = kind;
    this.reasonCode = reasonCode;
    this.reason = reason;
  }

  public static AuthDecision allow() {
    return ALLOW;
  }

  /** The client is not who it says: 0x86 Bad user name or password (4 in MQTT 3.1.1). */
  public static AuthDecision badCredentials(String reason) {
    return new AuthDecision(Kind.DENY, ReasonCode.BAD_USER_NAME_OR_PASSWORD, reason);
  }

  /** The client may not connect: 0x87 Not authorized (5 in MQTT 3.1.1). */
  public static AuthDecision notAuthorized(String reason) {
    return new AuthDecision(Kind.DENY, ReasonCode.NOT_AUTHORIZED, reason);
  }

  /** Neither yes nor no from this authenticator: the next one in the chain decides. */
  public static AuthDecision notMine() {
    return NOT_MINE;
  }

  public Kind kind() {
    return kind;
  }

  /** The CONNACK reason code of a refusal; 0 otherwise. */
  public int reasonCode() {
    return reasonCode;
  }

  /** Why a client was refused, for the log; never sent to the client. */
  public String reason() {
    return reason;
  }

  @Override
  public String toString() {
    return kind == Kind.DENY ? "DENY 0x" + Integer.toHexString(reasonCode) + " " + reason
        : kind.name();
  }
}

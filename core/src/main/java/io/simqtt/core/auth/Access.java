package io.simqtt.core.auth;

/** One {@link ClientAccess}'s answer about one action. */
public enum Access {
  ALLOW,
  DENY,
  /** This authorizer has no rule for it: the next one decides, and after the last, no. */
  NOT_MINE
}

package io.simqtt.core.session;

/** Session Expiry Interval values with a meaning of their own. */
public final class SessionExpiry {
  /** The session ends when the connection closes. */
  public static final long AT_DISCONNECT = 0;
  /** The session never expires. */
  public static final long NEVER = 0xFFFF_FFFFL;

  private SessionExpiry() {}
}

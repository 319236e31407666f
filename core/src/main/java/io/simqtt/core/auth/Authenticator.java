package io.simqtt.core.auth;

/**
 * Decides whether a client may connect. The broker asks each configured authenticator in order
 * until one allows or refuses; when every one answers {@link AuthDecision#notMine()}, the client
 * gets in only without credentials and with {@code mqtt.features.allow-anonymous}.
 *
 * <p>Called on the broker's authentication threads, never on an event loop, so an
 * implementation may block (hash a password, ask a directory) and may be called for several
 * clients at once: it must be thread-safe.
 */
public interface Authenticator extends AutoCloseable {

  /** A short name for logs and for the order in the config. */
  String name();

  AuthDecision authenticate(ConnectAttempt attempt);

  /**
   * Whether this authenticator checks user names and passwords. While none in the chain does, a
   * user name the chain leaves undecided is let in with allow-anonymous, as without any check.
   */
  default boolean checksPasswords() {
    return true;
  }

  /** Releases what the authenticator holds; the broker calls it once, when it stops. */
  @Override
  default void close() {}
}

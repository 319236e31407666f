package io.simqtt.core.auth;

/**
 * Decides whether a client may connect. The broker asks each configured authenticator in order
 * ({@code mqtt.auth.chain}) until one allows or refuses; when every one answers {@link
 * AuthDecision#notMine()}, the client gets in only without credentials and with {@code
 * mqtt.features.allow-anonymous}.
 *
 * <p>Called on the broker's authentication threads, never on an event loop, so an
 * implementation may block (hash a password, ask a directory) and may be called for several
 * clients at once: it must be thread-safe. A CONNECT waits for the check {@code
 * mqtt.limits.connect-timeout} at most; then the thread is interrupted and a later answer dropped.
 *
 * <p>A plug-in: a public class with a public no-argument constructor, in a jar in {@code
 * mqtt.auth.plugin-dir} that names it in {@code META-INF/services/io.simqtt.core.auth.Authenticator};
 * it takes part once {@code mqtt.auth.chain} names its {@link #name()}. The built-in password
 * file ({@link PasswordFile}, "password-file") is one too. See the example in the tests,
 * {@code core/src/test/resources/example-plugin}.
 */
public interface Authenticator extends AutoCloseable {

  /** A short name for logs and for the order in the config: {@code mqtt.auth.chain}. */
  String name();

  AuthDecision authenticate(ConnectAttempt attempt);

  /**
   * Whether this authenticator checks user names and passwords. While none in the chain does, a
   * user name the chain leaves undecided is let in with allow-anonymous, as without any check.
   */
  default boolean checksPasswords() {
    return true;
  }

  /**
   * Releases what the authenticator holds; the broker calls it once, when it no longer asks it
   * (the node stops; for the built-in files also when a reload replaced them).
   */
  @Override
  default void close() {}
}

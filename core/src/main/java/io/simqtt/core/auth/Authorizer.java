package io.simqtt.core.auth;

/**
 * Decides what clients may publish, subscribe to and receive. Asked for the {@link ClientAccess}
 * of a client when it connects, and again for every session when the rules are reloaded
 * (SIGHUP, bin/admin.sh reload, a changed file), always on the broker's own threads, never on an
 * event loop: so it may block (read a directory, a database; a CONNECT waits {@code
 * mqtt.limits.connect-timeout} at most, as for {@link Authenticator}). The connection then asks
 * that object for each action. Authorizers are asked in order ({@code mqtt.auth.chain}); the
 * first that does not answer {@link Access#NOT_MINE} decides, and when every one leaves an
 * action, it is refused.
 *
 * <p>A plug-in: as for {@link Authenticator}, listed in {@code
 * META-INF/services/io.simqtt.core.auth.Authorizer}; a class listed under both services is made
 * once and takes part in both chains. The built-in ACL file ({@link AclFile}, "acl-file") is one
 * too.
 */
public interface Authorizer extends AutoCloseable {

  /** A short name for logs and for the order in the config: {@code mqtt.auth.chain}. */
  String name();

  ClientAccess accessFor(ClientIdentity client);

  /**
   * Releases what the authorizer holds; the broker calls it once, when it no longer asks it (the
   * node stops; for the built-in file also when a reload replaced it).
   */
  @Override
  default void close() {}
}

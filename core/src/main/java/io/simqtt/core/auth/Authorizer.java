package io.simqtt.core.auth;

/**
 * Decides what clients may publish, subscribe to and receive. Asked once per CONNECT, on the
 * broker's authentication threads (so it may block: read a directory, a database), for the
 * {@link ClientAccess} of that client; the connection then asks that object for each action.
 * Authorizers are asked in order; the first that does not answer {@link Access#NOT_MINE} decides,
 * and when every one leaves an action, it is refused.
 */
public interface Authorizer extends AutoCloseable {

  /** A short name for logs and for the order in the config. */
  String name();

  ClientAccess accessFor(ClientIdentity client);

  /** Releases what the authorizer holds; the broker calls it once, when it stops. */
  @Override
  default void close() {}
}

package io.simqtt.core.auth;

import io.simqtt.config.AuthSettings;
import io.simqtt.core.codec.ReasonCode;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides each CONNECT: asks the authenticators in order until one allows or refuses; when all
 * leave it, a client without a user name gets in with {@code allow-anonymous}, and one with a user
 * name only when no authenticator is configured and anonymous clients are allowed (names are then
 * not checked, as in Mosquitto without a password file).
 *
 * <p>Authenticators run on a small pool of their own, never on an event loop: hashing a password
 * takes long on purpose, and a plug-in may block. The pool's queue is bounded; a CONNECT that
 * finds it full is refused with 0x89 (Server busy). With no authenticator, decisions are made on
 * the spot, on the connection's own thread.
 */
public final class Authentication implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Authentication.class);
  /** Addresses whose recent refusals are remembered; each costs about 100 bytes. */
  private static final int MAX_REMEMBERED_ADDRESSES = 100_000;

  private final boolean allowAnonymous;
  private final ThreadPoolExecutor pool;
  private final FailureDelays delays;
  /** Replaced whole by {@link #use}; a check in progress finishes with what it started with. */
  private volatile Chains chains = new Chains(List.of(), List.of());

  private record Chains(List<Authenticator> authenticators, List<Authorizer> authorizers) {}

  /**
   * No authenticator until {@link #use}; the pool exists only when the settings configure a
   * check, so a node without one decides every CONNECT on the spot.
   */
  public Authentication(boolean allowAnonymous, AuthSettings settings, LongSupplier nanoTime) {
    this.allowAnonymous = allowAnonymous;
    this.delays = new FailureDelays(settings.failureDelay().toMillis(),
        settings.maxFailureDelay().toMillis(), MAX_REMEMBERED_ADDRESSES, nanoTime);
    AtomicInteger threadNumber = new AtomicInteger();
    this.pool = !settings.checksClients() ? null : new ThreadPoolExecutor(
        settings.threads(), settings.threads(), 0, TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(settings.maxPending()),
        r -> {
          Thread t = new Thread(r, "simqtt-auth-" + threadNumber.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  /**
   * From now on CONNECTs are checked by {@code authenticators} and given the permissions of
   * {@code authorizers}, each in order; the old ones close.
   */
  public void use(List<Authenticator> authenticators, List<Authorizer> authorizers) {
    Chains old = chains;
    chains = new Chains(List.copyOf(authenticators), List.copyOf(authorizers));
    closeAll(old);
  }

  /** Completes with the verdict: at once when no authenticator is configured. */
  public CompletableFuture<AuthVerdict> check(ConnectAttempt attempt) {
    if (pool == null) {
      return CompletableFuture.completedFuture(verdict(attempt, chains));
    }
    CompletableFuture<AuthVerdict> result = new CompletableFuture<>();
    Chains current = chains;
    try {
      pool.execute(() -> result.complete(verdict(attempt, current)));
    } catch (RejectedExecutionException e) {
      result.complete(AuthVerdict.refused(ReasonCode.SERVER_BUSY,
          "more than mqtt.auth.max-pending CONNECTs wait for a credential check", 0));
    }
    return result;
  }

  /**
   * A success does not reset the address's delay: with one account of their own, a guesser
   * could otherwise clear it between guesses.
   */
  private AuthVerdict verdict(ConnectAttempt attempt, Chains current) {
    AuthDecision d = decide(attempt, current.authenticators());
    if (d.kind() == AuthDecision.Kind.ALLOW) {
      return permissions(attempt, current.authorizers());
    }
    InetAddress from =
        attempt.remoteAddress() == null ? null : attempt.remoteAddress().getAddress();
    long delay = from == null ? 0 : delays.refused(from);
    return AuthVerdict.refused(d.reasonCode(), d.reason(), delay);
  }

  private AuthDecision decide(ConnectAttempt attempt, List<Authenticator> chain) {
    for (Authenticator a : chain) {
      AuthDecision d;
      try {
        d = a.authenticate(attempt);
      } catch (RuntimeException e) {
        // A broken check must not let clients in: refuse, and say which check broke.
        LOG.warn("authenticator {} failed for client {}", a.name(), attempt.clientId(), e);
        return AuthDecision.notAuthorized("authenticator " + a.name() + " failed");
      }
      if (d.kind() != AuthDecision.Kind.NOT_MINE) {
        return d;
      }
    }
    if (attempt.userName() == null) {
      return allowAnonymous
          ? AuthDecision.allow()
          : AuthDecision.notAuthorized("anonymous clients are not allowed");
    }
    return chain.stream().noneMatch(Authenticator::checksPasswords) && allowAnonymous
        ? AuthDecision.allow()
        : AuthDecision.badCredentials("no authenticator knows user " + attempt.userName());
  }

  /** What the client may do, from each authorizer; a failing one refuses the CONNECT. */
  private static AuthVerdict permissions(ConnectAttempt attempt, List<Authorizer> authorizers) {
    if (authorizers.isEmpty()) {
      return AuthVerdict.allowed(Permissions.ALL);
    }
    ClientIdentity who = new ClientIdentity(attempt.clientId(), attempt.userName(),
        attempt.certificateIdentity(), attempt.listener(), attempt.remoteAddress());
    List<ClientAccess> access = new ArrayList<>(authorizers.size());
    for (Authorizer a : authorizers) {
      try {
        access.add(a.accessFor(who));
      } catch (RuntimeException e) {
        LOG.warn("authorizer {} failed for client {}", a.name(), attempt.clientId(), e);
        return AuthVerdict.refused(
            ReasonCode.NOT_AUTHORIZED, "authorizer " + a.name() + " failed", 0);
      }
    }
    return AuthVerdict.allowed(Permissions.of(access));
  }

  /** Addresses whose refusals were forgotten early because the table was full. */
  public long addressesForgotten() {
    return delays.forgotten();
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
    closeAll(chains);
  }

  private static void closeAll(Chains old) {
    for (Authenticator a : old.authenticators()) {
      closeQuietly(a.name(), a);
    }
    for (Authorizer a : old.authorizers()) {
      closeQuietly(a.name(), a);
    }
  }

  private static void closeQuietly(String name, AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      LOG.warn("{} failed to close", name, e);
    }
  }
}

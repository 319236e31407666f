package io.simqtt.core.auth;

import io.simqtt.config.AuthSettings;
import io.simqtt.core.codec.ReasonCode;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.FutureTask;
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
  private volatile Chains chains = new Chains(List.of(), List.of(), 0);

  /** What is asked, and its generation: each {@link #use} makes the next one. */
  private record Chains(
      List<Authenticator> authenticators, List<Authorizer> authorizers, long generation) {}

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
   * {@code authorizers}, each in order; the old ones that are not used again close. Clients
   * already connected keep what they had until their {@link Permissions} adopt the new rules
   * (see {@code PermissionRetries#refreshAll}).
   * Called by one thread at a time (start, then the reload thread).
   */
  public void use(List<Authenticator> authenticators, List<Authorizer> authorizers) {
    Chains old = chains;
    chains = new Chains(
        List.copyOf(authenticators), List.copyOf(authorizers), old.generation() + 1);
    closeUnused(old, chains);
  }

  /** Whether rules newer than the ones {@code p} was resolved from are in force. */
  public boolean isStale(Permissions p) {
    return p.client() != null && p.generation() < chains.generation();
  }

  /**
   * What {@code who} may do under the rules in force now, asking each authorizer (so it may
   * block): for a session rebuilt from the store before its client connects again. {@link
   * Permissions#ALL} without authorizers; {@link Permissions#unknown} when one fails (logged):
   * the caller asks again later. For a connected client, what {@link Permissions#adopt} takes.
   */
  public Permissions permissionsFor(ClientIdentity who) {
    Chains current = chains;
    if (current.authorizers().isEmpty()) {
      return Permissions.ALL;
    }
    List<ClientAccess> access = resolve(who, current.authorizers());
    return access == null
        ? Permissions.unknown(who)
        : Permissions.of(who, access, current.generation());
  }

  /**
   * Completes with the verdict: at once when no authenticator is configured. Cancelling it gives
   * the check up: it leaves the queue if it waits there, and the plug-in asked meanwhile is
   * interrupted (one that ignores it keeps its thread until it returns; its answer is dropped).
   */
  public CompletableFuture<AuthVerdict> check(ConnectAttempt attempt) {
    if (pool == null) {
      return CompletableFuture.completedFuture(verdict(attempt, chains));
    }
    CompletableFuture<AuthVerdict> result = new CompletableFuture<>();
    Chains current = chains;
    FutureTask<Void> task =
        new FutureTask<>(() -> result.complete(verdict(attempt, current)), null);
    try {
      pool.execute(task);
    } catch (RejectedExecutionException e) {
      result.complete(AuthVerdict.refused(ReasonCode.SERVER_BUSY,
          "more than mqtt.auth.max-pending CONNECTs wait for a credential check", 0));
      return result;
    }
    result.whenComplete((verdict, failure) -> {
      if (result.isCancelled()) {
        task.cancel(true);
        pool.remove(task);
      }
    });
    return result;
  }

  /**
   * A success does not reset the address's delay: with one account of their own, a guesser
   * could otherwise clear it between guesses.
   */
  private AuthVerdict verdict(ConnectAttempt attempt, Chains current) {
    AuthDecision d = decide(attempt, current.authenticators());
    if (d.kind() == AuthDecision.Kind.ALLOW) {
      return permissions(attempt, current);
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
  private static AuthVerdict permissions(ConnectAttempt attempt, Chains current) {
    if (current.authorizers().isEmpty()) {
      return AuthVerdict.allowed(Permissions.ALL);
    }
    ClientIdentity who = new ClientIdentity(attempt.clientId(), attempt.userName(),
        attempt.certificateIdentity(), attempt.listener(), attempt.remoteAddress());
    List<ClientAccess> access = resolve(who, current.authorizers());
    return access == null
        ? AuthVerdict.refused(ReasonCode.NOT_AUTHORIZED, "an authorizer failed", 0)
        : AuthVerdict.allowed(Permissions.of(who, access, current.generation()));
  }

  /** Each authorizer's access for {@code who}; null when one fails (logged). */
  private static List<ClientAccess> resolve(ClientIdentity who, List<Authorizer> authorizers) {
    List<ClientAccess> access = new ArrayList<>(authorizers.size());
    for (Authorizer a : authorizers) {
      try {
        access.add(a.accessFor(who));
      } catch (RuntimeException e) {
        LOG.warn("authorizer {} failed for client {}", a.name(), who.clientId(), e);
        return null;
      }
    }
    return access;
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
    closeUnused(chains, new Chains(List.of(), List.of(), 0));
  }

  /** Closes what {@code old} asked and {@code next} does not (plug-ins live on). */
  private static void closeUnused(Chains old, Chains next) {
    Set<Object> kept = Collections.newSetFromMap(new IdentityHashMap<>());
    kept.addAll(next.authenticators());
    kept.addAll(next.authorizers());
    Set<Object> closed = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Authenticator a : old.authenticators()) {
      if (!kept.contains(a) && closed.add(a)) {
        closeQuietly(a.name(), a);
      }
    }
    for (Authorizer a : old.authorizers()) {
      if (!kept.contains(a) && closed.add(a)) {
        closeQuietly(a.name(), a);
      }
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

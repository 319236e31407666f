package io.simqtt.core.auth;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.config.AuthSettings;
import io.simqtt.core.codec.ReasonCode;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The chain's rules, and what a full queue of credential checks does. */
class AuthenticationTest {
  private static final AuthSettings NO_FILE =
      new AuthSettings(null, null, Duration.ZERO, Duration.ZERO, 1, 1,
          null, List.of(), false, Duration.ZERO, Duration.ZERO, Duration.ZERO);
  private static final AuthSettings CHECKED =
      new AuthSettings(Path.of("x"), null, Duration.ZERO, Duration.ZERO, 1, 1,
          null, List.of(), false, Duration.ZERO, Duration.ZERO, Duration.ZERO);

  private static ConnectAttempt as(String user, String password) {
    return new ConnectAttempt("c1", user, password == null ? null : password.getBytes(UTF_8),
        null, "tcp", new InetSocketAddress("127.0.0.1", 40000));
  }

  private static AuthVerdict check(Authentication a, ConnectAttempt attempt) throws Exception {
    return a.check(attempt).get(5, TimeUnit.SECONDS);
  }

  private static Authenticator fixed(AuthDecision d) {
    return new Authenticator() {
      @Override
      public String name() {
        return "fixed";
      }

      @Override
      public AuthDecision authenticate(ConnectAttempt attempt) {
        return d;
      }
    };
  }

  @Test
  void withoutAuthenticatorsAllowAnonymousDecidesEverything() throws Exception {
    try (Authentication open = new Authentication(true, NO_FILE, System::nanoTime);
        Authentication closed = new Authentication(false, NO_FILE, System::nanoTime)) {
      assertTrue(open.check(as(null, null)).isDone(), "decided on the spot");
      assertTrue(check(open, as(null, null)).allowed());
      assertTrue(check(open, as("any", "thing")).allowed(), "names are not checked");
      assertEquals(ReasonCode.NOT_AUTHORIZED, check(closed, as(null, null)).reasonCode());
      assertEquals(ReasonCode.BAD_USER_NAME_OR_PASSWORD,
          check(closed, as("any", "thing")).reasonCode());
    }
  }

  @Test
  void theFirstAuthenticatorWithAnAnswerDecides() throws Exception {
    try (Authentication a = new Authentication(true, CHECKED, System::nanoTime)) {
      a.use(List.of(fixed(AuthDecision.notMine()),
          fixed(AuthDecision.notAuthorized("second says no")),
          fixed(AuthDecision.allow())), List.of());
      AuthVerdict v = check(a, as("u", "p"));
      assertFalse(v.allowed());
      assertEquals("second says no", v.reason());

      a.use(List.of(fixed(AuthDecision.notMine())), List.of());
      assertTrue(check(a, as(null, null)).allowed(), "anonymous, allowed");
      assertEquals(ReasonCode.BAD_USER_NAME_OR_PASSWORD, check(a, as("u", "p")).reasonCode(),
          "a name nobody vouches for");

      a.use(List.of(new Authenticator() {
        @Override
        public String name() {
          return "broken";
        }

        @Override
        public AuthDecision authenticate(ConnectAttempt attempt) {
          throw new IllegalStateException("directory down");
        }
      }), List.of());
      assertEquals(ReasonCode.NOT_AUTHORIZED, check(a, as("u", "p")).reasonCode(),
          "a failing check refuses");
    }
  }

  @Test
  void aFullQueueRefusesWithServerBusy() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (Authentication a = new Authentication(true, CHECKED, System::nanoTime)) {
      a.use(List.of(new Authenticator() {
        @Override
        public String name() {
          return "slow";
        }

        @Override
        public AuthDecision authenticate(ConnectAttempt attempt) {
          entered.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return AuthDecision.allow();
        }
      }), List.of());
      CompletableFuture<AuthVerdict> running = a.check(as("u", "p"));
      assertTrue(entered.await(5, TimeUnit.SECONDS));
      CompletableFuture<AuthVerdict> queued = a.check(as("u", "p")); // the one pending place
      AuthVerdict busy = check(a, as("u", "p"));
      assertEquals(ReasonCode.SERVER_BUSY, busy.reasonCode());
      release.countDown();
      assertTrue(running.get(5, TimeUnit.SECONDS).allowed());
      assertTrue(queued.get(5, TimeUnit.SECONDS).allowed());
    }
  }

  private static Authorizer allowing(String prefix) {
    return new Authorizer() {
      @Override
      public String name() {
        return "allowing-" + prefix;
      }

      @Override
      public ClientAccess accessFor(ClientIdentity client) {
        return (action, topic, qos, retain) ->
            topic.startsWith(prefix) ? Access.ALLOW : Access.NOT_MINE;
      }
    };
  }

  @Test
  void permissionsOfAnEarlierChainAreStaleUntilTheyAdoptTheNewAnswer() throws Exception {
    try (Authentication a = new Authentication(true, CHECKED, System::nanoTime)) {
      a.use(List.of(), List.of(allowing("a/")));
      Permissions p = check(a, as(null, null)).permissions();
      assertTrue(p.allows(Action.PUBLISH, "a/1", 0, false));
      assertFalse(a.isStale(p));

      a.use(List.of(), List.of(allowing("b/")));
      assertTrue(a.isStale(p));
      assertTrue(p.allows(Action.PUBLISH, "a/1", 0, false), "kept until refreshed");
      Permissions answer = a.permissionsFor(p.client());
      assertTrue(p.adopt(answer));
      assertFalse(a.isStale(p));
      assertFalse(p.allows(Action.PUBLISH, "a/1", 0, false));
      assertTrue(p.allows(Action.PUBLISH, "b/1", 0, false));
      assertFalse(p.adopt(answer), "already current");

      a.use(List.of(), List.of(new Authorizer() {
        @Override
        public String name() {
          return "broken";
        }

        @Override
        public ClientAccess accessFor(ClientIdentity client) {
          throw new IllegalStateException("directory down");
        }
      }));
      Permissions failed = a.permissionsFor(p.client());
      assertFalse(failed.isKnown());
      assertFalse(p.adopt(failed));
      assertTrue(p.allows(Action.PUBLISH, "b/1", 0, false), "a failing authorizer: kept");
      assertTrue(a.isStale(p), "and asked again");
      assertFalse(a.isStale(Permissions.ALL));
    }
  }
}

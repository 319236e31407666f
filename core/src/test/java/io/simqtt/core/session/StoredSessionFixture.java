package io.simqtt.core.session;

import io.netty.channel.DefaultEventLoop;
import io.simqtt.config.SettingsLoader;
import io.simqtt.core.auth.Permissions;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.message.Message;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.topic.SubscriptionOptions;
import io.simqtt.core.topic.SubscriptionTree;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Stored sessions without sockets, for the tests of what a session writes: a registry over a
 * {@link RecordingSessionStore} and a {@link RecordingCluster}, its sessions on one event loop, on
 * a manual clock. A JUnit extension ({@code @RegisterExtension}): the loop stops after each test.
 */
final class StoredSessionFixture implements AfterEachCallback {
  final DefaultEventLoop loop = new DefaultEventLoop();
  final RecordingSessionStore store = new RecordingSessionStore();
  final ManualClock clock = new ManualClock(1_000_000);
  /** The cluster every registry made here tells of redirects (their receipts held until told). */
  final RecordingCluster cluster = new RecordingCluster();

  /** A registry with the session settings {@code hocon} gives. */
  SessionRegistry registry(String hocon) {
    return registry(hocon, (d, id, hops, r) -> {});
  }

  SessionRegistry registry(String hocon, SharedRedelivery sharedRedelivery) {
    return registry(hocon, sharedRedelivery, (m, r) -> {}, store);
  }

  /** A registry over {@code store} whose sessions' wills go to {@code wills}. */
  SessionRegistry registry(String hocon, WillRoute wills, SessionStore store) {
    return registry(hocon, (d, id, hops, r) -> {}, wills, store);
  }

  /** A registry over {@code store}, as after a restart from it. */
  SessionRegistry registry(String hocon, SharedRedelivery sharedRedelivery, SessionStore store) {
    return registry(hocon, sharedRedelivery, (m, r) -> {}, store);
  }

  private SessionRegistry registry(String hocon, SharedRedelivery sharedRedelivery,
      WillRoute wills, SessionStore store) {
    return new SessionRegistry(
        SettingsLoader.fromString(hocon).mqtt().sessions(),
        new SubscriptionTree(),
        new BrokerMetrics(),
        wills,
        sharedRedelivery,
        cluster,
        10_000,
        300_000,
        clock,
        new PermissionRetries(
            who -> Permissions.ALL, 1, Duration.ofSeconds(10), Duration.ofSeconds(10)),
        store);
  }

  /**
   * Session {@code c} of {@code registry} with connection {@code conn} attached (Session Expiry
   * 60 s, so stored), subscribed to {@code t} at QoS 1, CONNACK sent.
   */
  Session connected(SessionRegistry registry, FakeConnection conn) throws Exception {
    return connected(registry, conn, 60, null);
  }

  /** {@link #connected(SessionRegistry, FakeConnection)} with {@code will}. */
  Session connected(SessionRegistry registry, FakeConnection conn, Will will) throws Exception {
    return connected(registry, conn, 60, will);
  }

  /** {@link #connected(SessionRegistry, FakeConnection)} with Session Expiry {@code expiry}. */
  Session connected(SessionRegistry registry, FakeConnection conn, long expiry) throws Exception {
    return connected(registry, conn, expiry, null);
  }

  private Session connected(SessionRegistry registry, FakeConnection conn, long expiry, Will will)
      throws Exception {
    return onLoop(() -> {
      Session s = registry.claim("c", loop, false);
      s.attach(conn, false, expiry, will, null, 0);
      s.subscribe("t", new SubscriptionOptions(1, false, false, 0, 0));
      s.resumeDelivery();
      return s;
    });
  }

  /**
   * Session {@code c} of {@code registry} as {@link #connected(SessionRegistry, FakeConnection)}
   * leaves it, its client gone since (the session stored, offline), holding {@code queued}.
   */
  Session offlineWith(SessionRegistry registry, Delivery... queued) throws Exception {
    FakeConnection conn = new FakeConnection(loop);
    Session s = connected(registry, conn);
    onLoop(() -> {
      s.detach(conn, true);
      for (Delivery d : queued) {
        s.deliver(d);
      }
      return null;
    });
    return s;
  }

  /**
   * Connection {@code conn} attaches to {@code s} as a CONNECT does: once the session has read
   * what the attach needs ({@link Session#beforeAttach}), with {@code state} from the cluster
   * (null: none). The list gets Session Present once it has attached.
   */
  List<Boolean> connect(Session s, FakeConnection conn, boolean cleanStart, SessionSnapshot state)
      throws Exception {
    return connect(s, conn, cleanStart, 60, state);
  }

  /**
   * {@link #connect(Session, FakeConnection, boolean, SessionSnapshot)} with Session Expiry
   * {@code expiry} (60 s there).
   */
  List<Boolean> connect(
      Session s, FakeConnection conn, boolean cleanStart, long expiry, SessionSnapshot state)
      throws Exception {
    List<Boolean> present = new ArrayList<>();
    onLoop(() -> {
      connecting(s, conn, cleanStart, expiry, state, present).run();
      return null;
    });
    return present;
  }

  /**
   * {@link #connect(Session, FakeConnection, boolean, SessionSnapshot)} without Clean Start or
   * state, run as a task of {@code s} ({@link #inSession}), as the connection runs it.
   */
  List<Boolean> connectInSession(Session s, FakeConnection conn) throws Exception {
    List<Boolean> present = new ArrayList<>();
    inSession(s, connecting(s, conn, false, 60, null, present));
    return present;
  }

  private static Runnable connecting(Session s, FakeConnection conn, boolean cleanStart,
      long expiry, SessionSnapshot state, List<Boolean> present) {
    return () -> {
      Session.PENDING_ATTACHES.incrementAndGet(s);
      s.beforeAttach(cleanStart, state != null, () -> {
        present.add(s.attach(conn, cleanStart, expiry, null, state, 0));
        s.resumeDelivery();
      });
    };
  }

  /** Freezes {@code s} for a move (another node's claim) and returns its hand-over. */
  HandOver handOver(Session s) throws Exception {
    CompletableFuture<HandOver> h = new CompletableFuture<>();
    onLoop(() -> {
      s.handOver(false, h);
      return null;
    });
    return h.get(5, TimeUnit.SECONDS);
  }

  /** Runs {@code task} on the sessions' loop and waits for it. */
  <T> T onLoop(Callable<T> task) throws Exception {
    return loop.submit(task).get(5, TimeUnit.SECONDS);
  }

  /**
   * Moves the clock {@code millis}, from one due timer to the next, letting {@code s} run what
   * each handed it before moving on: a timer's task runs on the session's loop, and one that sets
   * another timer (a redirect checking again) sets it from the moment it fell due, as a real
   * clock would, not from wherever {@link ManualClock#advance} had moved on to meanwhile.
   */
  void advance(Session s, long millis) throws Exception {
    long until = clock.millis() + millis;
    for (int step = 0; step < 100_000; step++) {
      long to = Math.max(clock.millis(), Math.min(clock.nextDueMillis(), until));
      clock.advance(to - clock.millis());
      inSession(s, () -> { });
      if (to == until && clock.nextDueMillis() > until) {
        return;
      }
    }
    throw new AssertionError("timers keep falling due");
  }

  /**
   * Runs {@code task} as a task of {@code s}, as the broker runs every session method (what the
   * session hands to its own later tasks then runs after it, not inside it), and waits for it.
   */
  void inSession(Session s, Runnable task) throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    s.execute(() -> {
      try {
        task.run();
        done.complete(null);
      } catch (RuntimeException | Error e) {
        done.completeExceptionally(e);
      }
    });
    done.get(5, TimeUnit.SECONDS);
  }

  /** Message {@code n} (its one payload byte) on topic t at {@code qos}. */
  static Delivery delivery(int n, int qos) {
    return new Delivery(
        new Message("t", new byte[] {(byte) n}, qos, false, MqttProperties.NONE, 0, "p"),
        qos, false, new int[0]);
  }

  /** Message {@code n} at QoS 1 as a delivery to shared group $share/g/t. */
  static Delivery shared(int n) {
    return new Delivery(delivery(n, 1).message(), 1, false, new int[0], "$share/g/t");
  }

  @Override
  public void afterEach(ExtensionContext context) {
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}

package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import io.simqtt.config.SettingsLoader;
import io.simqtt.core.auth.Permissions;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.message.Message;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.topic.SubscriptionTree;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A hand-over that does not happen leaves the session's expiry and its will's delay where they
 * were: the session ends, and its will goes out, when they would have had it never been frozen,
 * not a whole interval after the abort, nor never. Time is a {@link ManualClock}; nothing waits
 * for real time.
 */
class HandOverExpiryTest {
  private static final long T0 = 1_000_000;
  private static final long EXPIRY_SECONDS = 10;

  private final DefaultEventLoop loop = new DefaultEventLoop();
  private static final long WILL_DELAY_SECONDS = 5;

  private final ManualClock clock = new ManualClock(T0);
  private final List<Message> wills = new CopyOnWriteArrayList<>();
  private final SessionRegistry registry =
      new SessionRegistry(
          SettingsLoader.fromString("").mqtt().sessions(),
          new SubscriptionTree(),
          new BrokerMetrics(),
          (will, receipt) -> wills.add(will),
          (d, id, hops, r) -> {},
          new RecordingCluster(),
          10_000,
          300_000,
          clock,
          new PermissionRetries(
              who -> Permissions.ALL, 1, Duration.ofSeconds(10), Duration.ofSeconds(10)),
          SessionStore.MEMORY);

  @AfterEach
  void stop() {
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  @Test
  void anOfflineSessionWhoseHandOverIsAbortedExpiresAtItsOldDeadline() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = connect(c);
    onLoop(() -> {
      s.detach(c, true);
      return null;
    });
    clock.advance(4_000);
    HandOver h = handOver(s);
    clock.advance(2_000);
    abort(h);

    clock.advance(3_999);
    assertTrue(held(), "9.999 s after the client left");
    clock.advance(1);
    assertFalse(held(), "expired 10 s after the client left, frozen or not");
  }

  @Test
  void aConnectedSessionWhoseHandOverIsAbortedExpiresAnIntervalAfterItsConnectionEnded()
      throws Exception {
    connect(new FakeConnection(loop));
    clock.advance(1_000);
    // The claim's takeover closes the connection here: the session is offline from now.
    HandOver h = handOver(registry.get("c"));
    clock.advance(3_000);
    abort(h);

    clock.advance(6_999);
    assertTrue(held());
    clock.advance(1);
    assertFalse(held(), "expired 10 s after the takeover closed its connection");
  }

  @Test
  void anOfflineSessionsWillGoesOutAtItsOldTimeAfterAnAbort() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = connect(c, will());
    onLoop(() -> {
      s.detach(c, true);
      return null;
    });
    clock.advance(2_000);
    HandOver h = handOver(s);
    clock.advance(1_000);
    abort(h);

    clock.advance(1_999);
    assertEquals(0, willsSent(), "4.999 s after the client left");
    clock.advance(1);
    assertEquals(1, willsSent(), "its will delay after the client left, frozen or not");
  }

  @Test
  void aConnectedSessionsWillGoesOutItsDelayAfterTheTakeoverAfterAnAbort() throws Exception {
    connect(new FakeConnection(loop), will());
    HandOver h = handOver(registry.get("c"));
    clock.advance(3_000);
    abort(h);
    assertEquals(0, willsSent());
    clock.advance(2_000);
    assertEquals(1, willsSent(), "the takeover closed the connection: the delay runs from then");
    clock.advance(10_000);
    assertEquals(1, willsSent(), "once");
  }

  private static Will will() {
    return new Will(new Message("w/c", new byte[] {1}, 1, false, MqttProperties.NONE, 0, "c"),
        WILL_DELAY_SECONDS, 0);
  }

  private int willsSent() throws Exception {
    return onLoop(wills::size);
  }

  private Session connect(FakeConnection c) throws Exception {
    return connect(c, null);
  }

  private Session connect(FakeConnection c, Will will) throws Exception {
    return onLoop(() -> {
      Session s = registry.claim("c", loop, false);
      s.attach(c, false, EXPIRY_SECONDS, will, null, 1);
      s.resumeDelivery();
      return s;
    });
  }

  private HandOver handOver(Session s) throws Exception {
    CompletableFuture<HandOver> h = new CompletableFuture<>();
    onLoop(() -> {
      s.handOver(false, h);
      return null;
    });
    HandOver handOver = h.get(5, TimeUnit.SECONDS);
    assertNotNull(handOver);
    return handOver;
  }

  /** Aborts and waits until the session has resumed (and armed its timer). */
  private void abort(HandOver h) throws Exception {
    h.abort();
    onLoop(() -> null);
  }

  /** Whether the node still holds the session, read after every task handed to it so far. */
  private boolean held() throws Exception {
    return onLoop(() -> registry.get("c") != null);
  }

  private <T> T onLoop(Callable<T> task) throws Exception {
    return loop.submit(task).get(5, TimeUnit.SECONDS);
  }
}

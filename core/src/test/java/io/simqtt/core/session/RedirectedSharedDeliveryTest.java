package io.simqtt.core.session;

import static io.simqtt.core.session.StoredSessionFixture.shared;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.routing.DeliveryReceipt;
import io.simqtt.core.routing.MessageRouter;
import io.simqtt.core.topic.SubscriptionOptions;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A shared-subscription delivery that a peer redirects to member "a" of $share/g/t after a's
 * session here ended (a clean start elsewhere while its old node's pages were still coming, its
 * expiry after a confirmed move) goes to another member of the group (MQTT 5 4.8.2), with the
 * receipt of the frame that brought it counting the new holder, so the publisher's
 * acknowledgement waits for it. Before, the router dropped it, counted {@code session_gone}. The
 * router, the registry and the sessions are the broker's, on one tree; the cluster only records.
 * Deterministic: the event loop is held where the order matters.
 */
class RedirectedSharedDeliveryTest {
  private static final SubscriptionOptions QOS1 = new SubscriptionOptions(1, false, false, 0, 0);
  private static final String GROUP = "$share/g/t";

  private final DefaultEventLoop loop = new DefaultEventLoop();
  private final BrokerMetrics metrics = new BrokerMetrics();
  private final RecordingCluster cluster = new RecordingCluster();
  private final RoutedNode node = new RoutedNode("n1", metrics, cluster);
  private final SessionRegistry registry = node.registry;
  private final MessageRouter router = node.router;

  @AfterEach
  void stop() {
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  @Test
  void aDeliveryRedirectedToAMemberWhoseSessionEndedGoesToAnotherMemberBeforeThePublisherIsAnswered()
      throws Exception {
    Session a = member("a", new FakeConnection(loop));
    endedByACleanStartElsewhere(a);
    FakeConnection b = new FakeConnection(loop);
    member("b", b);

    AtomicReference<Boolean> answered = new AtomicReference<>();
    CountDownLatch gate = holdTheLoop();
    redirectToA(answered, 1);
    assertNull(answered.get(), "the publisher's acknowledgement waits for the other member");
    gate.countDown();

    assertEquals(List.of(5), onLoop(b::publishedNumbers), "the other member's client got it");
    assertNotNull(answered.get(), "answered once the other member took it");
    assertEquals(0, metrics.drops(DropReason.SESSION_GONE));
    assertEquals(0, metrics.drops(DropReason.NO_SUBSCRIBERS));
  }

  /** The router found the session, which ended before the delivery's task ran. */
  @Test
  void aDeliveryRedirectedToAMemberThatEndsBeforeItsTaskRunsGoesToAnotherMember()
      throws Exception {
    FakeConnection ac = new FakeConnection(loop);
    Session a = member("a", ac);
    FakeConnection b = new FakeConnection(loop);
    member("b", b);

    AtomicReference<Boolean> answered = new AtomicReference<>();
    CountDownLatch gate = holdTheLoop();
    a.execute(() -> a.kick(true)); // ahead of the delivery's task
    redirectToA(answered, 1);
    assertNull(answered.get());
    gate.countDown();

    assertEquals(List.of(5), onLoop(b::publishedNumbers));
    assertTrue(onLoop(ac::publishedNumbers).isEmpty());
    assertNotNull(answered.get());
    assertEquals(0, metrics.drops(DropReason.SESSION_ENDED));
  }

  @Test
  void withNoOtherMemberLeftItIsDroppedCountedAndThePublisherAnswered() throws Exception {
    Session a = member("a", new FakeConnection(loop));
    endedByACleanStartElsewhere(a);

    AtomicReference<Boolean> answered = new AtomicReference<>();
    redirectToA(answered, 1);
    assertNotNull(answered.get(), "nothing to wait for");
    assertEquals(1, metrics.drops(DropReason.NO_SUBSCRIBERS));
    assertEquals(0, metrics.drops(DropReason.SESSION_GONE));
  }

  /**
   * The other member moved on to n2 itself: it redirects the delivery there as one more hop of the
   * chain that brought it, so sessions that moved between two nodes and ended there cannot hand a
   * message back and forth for ever: at the bound it is dropped, counted.
   */
  @Test
  void aMemberThatMovedOnRedirectsItAsTheNextHopOfTheChain() throws Exception {
    Session a = member("a", new FakeConnection(loop));
    endedByACleanStartElsewhere(a);
    movedToN2(member("b", new FakeConnection(loop)));

    redirectToA(new AtomicReference<>(), 3);
    assertEquals(List.of("n2:5:4"), onLoop(() -> List.copyOf(cluster.redirects)));

    redirectToA(new AtomicReference<>(), SessionMove.MAX_REDIRECT_HOPS);
    assertEquals(1, onLoop(() -> cluster.redirects.size()), "not redirected past the bound");
    assertEquals(1, metrics.drops(DropReason.REDIRECT_LOOP));
  }

  /** As above, for a member whose session ends before the delivery's task runs. */
  @Test
  void aMemberEndingBeforeTheTaskRunsHandsItOnAsTheSameHopOfTheChain() throws Exception {
    Session a = member("a", new FakeConnection(loop));
    movedToN2(member("b", new FakeConnection(loop)));

    CountDownLatch gate = holdTheLoop();
    a.execute(() -> a.kick(true));
    redirectToA(new AtomicReference<>(), SessionMove.MAX_REDIRECT_HOPS);
    gate.countDown();
    assertTrue(onLoop(() -> cluster.redirects.isEmpty()), "not redirected past the bound");
    assertEquals(1, metrics.drops(DropReason.REDIRECT_LOOP));
  }

  // ---- helpers ----

  /** A peer's frame redirects shared delivery 5 to "a", {@code hops} hops so far. */
  private void redirectToA(AtomicReference<Boolean> answered, int hops) {
    DeliveryReceipt receipt = new DeliveryReceipt(answered::set);
    router.deliverRedirected("a", shared(5), hops, 0, receipt);
    receipt.routed();
  }

  /** A connected member of $share/g/t. */
  private Session member(String clientId, FakeConnection c) throws Exception {
    return onLoop(() -> {
      Session s = registry.claim(clientId, loop, false);
      s.attach(c, false, SessionExpiry.NEVER, null, null, 1);
      s.subscribe(GROUP, QOS1);
      s.resumeDelivery();
      return s;
    });
  }

  /** Another node took the client with Clean Start: the session ends here. */
  private void endedByACleanStartElsewhere(Session s) throws Exception {
    CompletableFuture<HandOver> h = new CompletableFuture<>();
    onLoop(() -> {
      s.handOver(true, h);
      return null;
    });
    assertNull(h.get(5, TimeUnit.SECONDS));
    assertNull(registry.get(s.clientId()), "gone from this node");
  }

  /** The session moved to n2 and is left here as a redirect, still a member of its group. */
  private void movedToN2(Session s) throws Exception {
    CompletableFuture<HandOver> h = new CompletableFuture<>();
    onLoop(() -> {
      s.handOver(false, h);
      return null;
    });
    h.get(5, TimeUnit.SECONDS).confirm("n2");
    assertTrue(onLoop(s::isMoved));
  }

  /** Holds the event loop until the latch is counted down: tasks queued meanwhile wait. */
  private CountDownLatch holdTheLoop() {
    CountDownLatch gate = new CountDownLatch(1);
    loop.execute(() -> {
      try {
        gate.await(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    return gate;
  }

  private <T> T onLoop(Callable<T> task) throws Exception {
    return loop.submit(task).get(5, TimeUnit.SECONDS);
  }
}

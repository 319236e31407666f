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

  /**
   * The only other member is on n3: the delivery goes there as a forward that carries the hops of
   * the chain that brought it, for n3's member to count on from (see the next test).
   */
  @Test
  void aMemberOnAnotherNodeGetsItWithTheHopsOfTheChain() throws Exception {
    Session a = member("a", new FakeConnection(loop));
    endedByACleanStartElsewhere(a);
    router.remoteRoutes().update("n3", GROUP, 1);

    redirectToA(new AtomicReference<>(), 3);
    assertEquals(
        List.of("n3:5:3:[" + GROUP + "]"), onLoop(() -> List.copyOf(cluster.sharedForwards)));
  }

  /**
   * A forward of a shared delivery some member let go after {@code hops} redirects: the member
   * chosen here that moved on redirects it as the next hop of that chain, and at the bound it is
   * dropped, counted. Before, a forward started the count again, so members handing a message
   * on between nodes through sessions that moved were bounded only by how long a stale route
   * lasted.
   */
  @Test
  void aForwardedSharedDeliveryCountsOnFromTheHopsItCameWith() throws Exception {
    movedToN2(member("b", new FakeConnection(loop)));

    router.deliverForwarded(shared(5).message(), false, List.of(GROUP), 3, null);
    assertEquals(List.of("n2:5:4"), onLoop(() -> List.copyOf(cluster.redirects)));

    router.deliverForwarded(
        shared(5).message(), false, List.of(GROUP), SessionMove.MAX_REDIRECT_HOPS, null);
    assertEquals(1, onLoop(() -> cluster.redirects.size()), "not redirected past the bound");
    assertEquals(1, metrics.drops(DropReason.REDIRECT_LOOP));
  }

  /**
   * n3 returned such a forward (its last member had just left): the member chosen here instead
   * counts on from the hops the forward carried, as one chosen on n3 would have.
   */
  @Test
  void aReturnedSharedDeliveryCountsOnFromTheHopsItsForwardCarried() throws Exception {
    movedToN2(member("b", new FakeConnection(loop)));

    router.returnShared(shared(5).message(), List.of(GROUP), 3, "n3");
    assertEquals(List.of("n2:5:4"), onLoop(() -> List.copyOf(cluster.redirects)));

    router.returnShared(shared(5).message(), List.of(GROUP), SessionMove.MAX_REDIRECT_HOPS, "n3");
    assertEquals(1, onLoop(() -> cluster.redirects.size()), "not redirected past the bound");
    assertEquals(1, metrics.drops(DropReason.REDIRECT_LOOP));
  }

  /**
   * A redirect for a's session of lineage 1, which a clean start (lineage 2) replaced: the new
   * session subscribed to nothing, so with no other member of the group the delivery is dropped,
   * counted, and does not come back to it as to a member that let it go. Before, the new
   * session's client got it.
   */
  @Test
  void aDeliveryForAReplacedSessionDoesNotComeBackToTheNewOneThatIsNoMember() throws Exception {
    member("a", new FakeConnection(loop)); // lineage 1
    FakeConnection next = new FakeConnection(loop);
    onLoop(() -> {
      Session again = registry.claim("a", loop, false);
      again.attach(next, true, SessionExpiry.NEVER, null, null, 2);
      again.resumeDelivery();
      return null;
    });

    router.deliverRedirected("a", shared(5), 1, 1, null);
    onLoop(() -> null);
    assertTrue(onLoop(next::publishedNumbers).isEmpty(), "not for the new session");
    assertEquals(1, metrics.drops(DropReason.NO_SUBSCRIBERS));
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

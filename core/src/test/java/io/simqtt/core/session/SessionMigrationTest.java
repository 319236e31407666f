package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import io.simqtt.config.SettingsLoader;
import io.simqtt.core.auth.Access;
import io.simqtt.core.auth.Action;
import io.simqtt.core.auth.Authentication;
import io.simqtt.core.auth.Authorizer;
import io.simqtt.core.auth.ClientAccess;
import io.simqtt.core.auth.ClientIdentity;
import io.simqtt.core.auth.Permissions;
import io.simqtt.core.cluster.HybridClock;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.message.Message;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.retain.MemoryRetainedStore;
import io.simqtt.core.routing.DeliveryReceipt;
import io.simqtt.core.routing.MessageRouter;
import io.simqtt.core.topic.SubscriptionOptions;
import io.simqtt.core.topic.SubscriptionTree;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A session moving between nodes, its holder's side and its new owner's, on one event loop and
 * a cluster that only records what it is asked: frozen until confirmed or aborted, nothing lost
 * either way, second copies dropped after a move, waiting requests answered, what the router
 * redirects to it meanwhile passed on unjudged. Deterministic: no sockets, no timers reached.
 */
class SessionMigrationTest {
  private static final SubscriptionOptions QOS1 = new SubscriptionOptions(1, false, false, 0, 0);

  private final DefaultEventLoop loop = new DefaultEventLoop();
  private final BrokerMetrics metrics = new BrokerMetrics();
  private final RecordingCluster cluster = new RecordingCluster();
  private final List<Message> wills = new ArrayList<>();
  private final SessionRegistry registry =
      new SessionRegistry(
          SettingsLoader.fromString("").mqtt().sessions(),
          new SubscriptionTree(),
          metrics,
          (will, receipt) -> wills.add(will),
          (d, id, hops, r) -> {},
          cluster,
          10_000,
          300_000,
          new PermissionRetries(
              who -> Permissions.ALL, 1, Duration.ofSeconds(10), Duration.ofSeconds(10)),
          SessionStore.MEMORY);
  private final MessageRouter router =
      new MessageRouter(
          "n1",
          new SubscriptionTree(),
          new MemoryRetainedStore(),
          registry,
          cluster,
          new HybridClock(),
          metrics,
          SettingsLoader.fromString("").mqtt().sessions().sharedSubscriptionStrategy());

  @AfterEach
  void stop() {
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  @Test
  void aFrozenSessionKeepsWhatArrivesAndSendsItOnOnceConfirmed() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = connect(c);
    deliver(s, 1, 2);
    HandOver h = handOver(s);
    assertEquals(List.of(1, 2), numbers(h.state()), "in flight when the client left");
    assertEquals(List.of(ReasonCode.SESSION_TAKEN_OVER), c.closes);

    deliver(s, 3, 4);
    assertTrue(cluster.redirects.isEmpty(), "frozen: kept here until the new owner confirms");
    assertEquals(2, onLoop(s::queuedCount));

    h.confirm("n2");
    assertEquals(List.of("n2:3:1", "n2:4:1"), onLoop(() -> List.copyOf(cluster.redirects)));
    assertTrue(onLoop(s::isMoved));
    deliver(s, 5);
    assertEquals("n2:5:1", onLoop(() -> cluster.redirects.get(2)), "late arrivals follow it");
  }

  @Test
  void aPublisherAcknowledgementWaitsForADeliveryRedirectedAfterTheMoveToBeJournaled()
      throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = connect(c);
    handOver(s).confirm("n2");
    AtomicReference<Boolean> taken = new AtomicReference<>();
    DeliveryReceipt receipt = new DeliveryReceipt(taken::set);
    receipt.expect(); // as the router does for each session it hands a delivery to
    onLoop(() -> {
      try {
        s.deliverRedirected(new Delivery(message(7), 1, false, new int[0]), 0, 0, receipt);
      } finally {
        receipt.taken(s.isStored());
      }
      return null;
    });
    receipt.routed();
    assertEquals(List.of("n2:7:1"), onLoop(() -> List.copyOf(cluster.redirects)));
    assertNull(taken.get(), "redirected, not yet in the link's journal: no acknowledgement yet");

    cluster.journaled();
    assertEquals(Boolean.TRUE, taken.get(), "the journal write is one to wait for");
  }

  @Test
  void anAbortedHandOverLeavesTheSessionAsItWasWillIncluded() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    // With a delay: the takeover closed the connection, so after the abort the will waits for
    // it as after any connection loss (a will without delay would go out at once).
    Session s = connect(c, null, new Will(message(99), 60, 0));
    deliver(s, 1, 2);
    HandOver h = handOver(s);
    deliver(s, 3);
    h.abort();
    h.confirm("n2"); // too late: ignored
    assertFalse(onLoop(s::isMoved));
    assertEquals(2, onLoop(s::inflightCount));
    assertEquals(1, onLoop(s::queuedCount));

    FakeConnection again = new FakeConnection(loop);
    connect(again);
    assertEquals(List.of(1, 2, 3), onLoop(again::publishedNumbers), "in order, none lost");
    assertTrue(wills.isEmpty());
    onLoop(() -> s.kick(true));
    assertTrue(wills.isEmpty(), "a new connection's CONNECT replaced the will");
  }

  @Test
  void theWillSurvivesAnAbortedHandOverOfAnOfflineSession() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = connect(c, null, will());
    onLoop(() -> {
      s.detach(c, true);
      return null;
    });
    HandOver h = handOver(s);
    h.abort();
    onLoop(() -> s.kick(true));
    assertEquals(1, wills.size(), "the will came back with the session and went out as it ended");
  }

  @Test
  void stateComingBackToAFrozenSessionKeepsWhatQueuedMeanwhile() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = connect(c);
    deliver(s, 1);
    HandOver h = handOver(s);
    deliver(s, 2);
    // The client went to n2 and is back here before n2's confirmation arrived: n2 hands the
    // state it got back, and what queued here meanwhile goes after it.
    FakeConnection back = new FakeConnection(loop);
    connect(back, h.state(), null);
    assertEquals(List.of(1, 2), onLoop(back::publishedNumbers));
  }

  @Test
  void aSessionThatArrivedDropsSecondCopies() throws Exception {
    Message first = message(1);
    SessionSnapshot state =
        new SessionSnapshot(
            Map.of(),
            List.of(),
            List.of(new Delivery(first, 1, false, new int[0])),
            Set.of(),
            0,
            0,
            List.of(),
            0);
    FakeConnection c = new FakeConnection(loop);
    Session s = connect(c, state, null);
    onLoop(() -> {
      s.deliver(new Delivery(first, 1, false, new int[0]));
      s.deliverRedirected(new Delivery(message(2), 1, false, new int[0]), 1, 0, null);
      s.deliver(new Delivery(message(2), 1, false, new int[0]));
      return null;
    });
    assertEquals(List.of(1, 2), onLoop(c::publishedNumbers));
    assertEquals(2, metrics.drops(DropReason.DUPLICATE));
  }

  /**
   * A client with a shared and a non-shared subscription matching a message is owed a copy for
   * each (MQTT 5 4.8.2), and one per shared subscription: after a move, the window drops a second
   * copy for the same subscription only, whether the first was in the state, seen before the
   * earlier move (the state's seen list) or came since.
   */
  @Test
  void aSessionThatArrivedGetsACopyPerSubscriptionAndDropsSecondCopiesOfEach() throws Exception {
    Message first = message(1);
    Message second = message(2);
    SessionSnapshot state =
        new SessionSnapshot(
            Map.of(),
            List.of(),
            List.of(new Delivery(first, 1, false, new int[0])),
            Set.of(),
            0,
            0,
            List.of(new MessageKey("n1", second.stamp(), "$share/g/t")),
            0);
    FakeConnection c = new FakeConnection(loop);
    Session s = connect(c, state, null);
    onLoop(() -> {
      s.deliverRedirected(copy(first, "$share/g/t"), 1, 0, null); // owed
      s.deliver(copy(first, "$share/h/t")); // owed
      s.deliver(copy(second, null)); // owed
      s.deliver(copy(first, null)); // second copies from here on
      s.deliver(copy(first, "$share/g/t"));
      s.deliverRedirected(copy(first, "$share/h/t"), 1, 0, null);
      s.deliverRedirected(copy(second, "$share/g/t"), 1, 0, null);
      s.deliverRedirected(copy(second, null), 1, 0, null);
      return null;
    });
    assertEquals(List.of(1, 1, 1, 2), onLoop(c::publishedNumbers));
    assertEquals(5, metrics.drops(DropReason.DUPLICATE));
  }

  /**
   * A client subscribes again right after its session arrived here, within the window: the
   * retained message sent for that SUBSCRIBE (MQTT 5 3.3.1.3, 3.8.3.1) is made here for the
   * request, never a second copy of the routed one the state holds queued, so the client gets
   * both, the retained one with RETAIN set; the older owner's second copy of the routed one is
   * still dropped. Before, the window took the retained copy for a second one and dropped it,
   * counted {@code duplicate}.
   */
  @Test
  void aRetainedMessageSentOnSubscribeWithinTheWindowIsNotASecondCopy() throws Exception {
    Message first = message(1);
    FakeConnection c = new FakeConnection(loop);
    c.writable = false; // 1 stays queued
    Session s = connect(c, holding(copy(first, null)), null);
    onLoop(() -> {
      s.deliver(Delivery.retainedOnSubscribe(first, 1, new int[0])); // as SUBSCRIBE sends it
      s.deliverRedirected(copy(first, null), 1, 0, null);
      c.writable = true;
      s.onWritable(c);
      return null;
    });
    assertEquals(List.of(1, 1), onLoop(c::publishedNumbers));
    assertEquals(List.of(false, true), onLoop(c::publishedRetains));
    assertEquals(1, metrics.drops(DropReason.DUPLICATE));
  }

  /**
   * The retained copy sent on SUBSCRIBE within the window is not recorded there: the routed copy
   * that comes after it is the client's own, and only that one's second copy is dropped; and a
   * retained copy the state holds (sent on the old node, queued there) makes no routed copy a
   * second one either.
   */
  @Test
  void aRetainedMessageSentOnSubscribeLeavesTheWindowAsItWas() throws Exception {
    Message m = message(1);
    Message earlier = message(2);
    FakeConnection c = new FakeConnection(loop);
    Session s =
        connect(c, holding(Delivery.retainedOnSubscribe(earlier, 1, new int[0])), null);
    onLoop(() -> {
      s.deliver(Delivery.retainedOnSubscribe(m, 1, new int[0]));
      s.deliver(copy(m, null)); // routed: the client's own
      s.deliverRedirected(copy(m, null), 1, 0, null); // its second copy
      s.deliverRedirected(copy(earlier, null), 1, 0, null); // the routed copy: the client's own
      return null;
    });
    assertEquals(List.of(2, 1, 1, 2), onLoop(c::publishedNumbers));
    assertEquals(List.of(true, true, false, false), onLoop(c::publishedRetains));
    assertEquals(1, metrics.drops(DropReason.DUPLICATE));
  }

  /**
   * As a frozen session thaws into the window a healed partition asked for (its client is back
   * here), a message it held for a shared and for a non-shared subscription is two copies, both
   * kept; the older owner's second copies of each are dropped, and the copy only it had is kept.
   */
  @Test
  void aSessionThawingIntoTheWindowKeepsACopyPerSubscription() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = connect(c);
    onLoop(() -> {
      c.writable = false;
      return null;
    });
    Message m = message(1);
    onLoop(() -> {
      s.deliver(copy(m, null));
      s.deliver(copy(m, "$share/g/t"));
      return null;
    });
    handOver(s);
    onLoop(() -> {
      s.expectRedirects();
      s.deliverRedirected(copy(m, null), 1, 0, null);
      s.deliverRedirected(copy(m, "$share/g/t"), 1, 0, null);
      s.deliverRedirected(copy(m, "$share/h/t"), 1, 0, null);
      return null;
    });

    FakeConnection again = new FakeConnection(loop);
    connect(again);
    assertEquals(List.of(1, 1, 1), onLoop(again::publishedNumbers));
    assertEquals(2, metrics.drops(DropReason.DUPLICATE));
  }

  /**
   * A shared delivery the only member of its group still had queued when its connection ended,
   * within the window after a move, has no other member to go to: it comes back to that same
   * session, as its own copy, not a second one, and waits for the client. Before, the window knew
   * it already (it came with the state) and dropped it, counted {@code duplicate}: lost.
   */
  @Test
  void aSharedDeliveryItsOnlyMemberLetGoWithinTheWindowComesBackToIt() throws Exception {
    SessionRegistry node = new RoutedNode("n2", metrics, cluster).registry;
    SessionSnapshot state =
        new SessionSnapshot(
            Map.of("$share/g/t", QOS1),
            List.of(),
            List.of(copy(message(1), "$share/g/t")),
            Set.of(),
            SessionExpiry.NEVER,
            0,
            List.of(),
            0);
    FakeConnection c = new FakeConnection(loop);
    c.writable = false; // it stays queued
    onLoop(() -> {
      Session s = node.claim("c", loop, false);
      s.attach(c, false, SessionExpiry.NEVER, null, state, 1);
      s.resumeDelivery();
      s.detach(c, true);
      return null;
    });

    FakeConnection again = new FakeConnection(loop);
    onLoop(() -> {
      Session s = node.claim("c", loop, false);
      s.attach(again, false, SessionExpiry.NEVER, null, null, 1);
      s.resumeDelivery();
      return null;
    });
    assertEquals(List.of(1), onLoop(again::publishedNumbers));
    assertEquals(0, metrics.drops(DropReason.DUPLICATE));
  }

  @Test
  void aLaterOwnerFoundAfterAPartitionGetsWhatTheSessionHeld() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = connect(c);
    deliver(s, 1, 2);
    onLoop(() -> {
      s.yieldTo("n3");
      return null;
    });
    assertEquals(List.of(ReasonCode.SESSION_TAKEN_OVER), c.closes);
    assertEquals(List.of("n3:1:1", "n3:2:1"), onLoop(() -> List.copyOf(cluster.redirects)));
    assertTrue(onLoop(s::isMoved));
  }

  @Test
  void aSessionFrozenWhenAHealedPartitionMadeItTheLaterOwnerDropsSecondCopiesOnceTheMoveIsAborted()
      throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = connect(c);
    deliver(s, 1, 2);
    onLoop(() -> {
      c.writable = false;
      return null;
    });
    deliver(s, 3);
    HandOver h = handOver(s);
    healedWhileFrozen(s);
    h.abort();

    FakeConnection again = new FakeConnection(loop);
    connect(again);
    assertEquals(List.of(1, 2, 3, 4), onLoop(again::publishedNumbers),
        "what the session held, and the one message only the older owner had, once each");
    assertEquals(3, metrics.drops(DropReason.DUPLICATE));
  }

  @Test
  void aSessionFrozenWhenAHealedPartitionMadeItTheLaterOwnerDropsSecondCopiesWhenItsClientComesBack()
      throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = connect(c);
    deliver(s, 1, 2);
    handOver(s);
    healedWhileFrozen(s);

    // The client is back here before the claimer installed the state: the session thaws.
    FakeConnection again = new FakeConnection(loop);
    connect(again);
    assertEquals(List.of(1, 2, 3, 4), onLoop(again::publishedNumbers));
    assertEquals(2, metrics.drops(DropReason.DUPLICATE));
  }

  /**
   * While {@code s} is frozen, a healed partition finds it the later owner of its client: the
   * older owner yields, redirecting what it held, messages 1 to 4, after this node was told to
   * expect second copies.
   */
  private void healedWhileFrozen(Session s) throws Exception {
    onLoop(() -> {
      s.expectRedirects();
      for (int n = 1; n <= 4; n++) {
        s.deliverRedirected(new Delivery(message(n), 1, false, new int[0]), 1, 0, null);
      }
      return null;
    });
  }

  @Test
  void aRequestThatWaitedForAFreezeIsAnsweredWhenItEnds() throws Exception {
    Session s = connect(new FakeConnection(loop));
    HandOver first = handOver(s);
    CompletableFuture<HandOver> second = new CompletableFuture<>();
    onLoop(() -> {
      s.handOver(false, second);
      return null;
    });
    assertFalse(second.isDone(), "one hand-over at a time");
    first.abort();
    HandOver next = second.get(5, TimeUnit.SECONDS);
    assertNotNull(next, "once the first is aborted, the second gets the session");
    next.confirm("n2");
    CompletableFuture<HandOver> third = new CompletableFuture<>();
    onLoop(() -> {
      s.handOver(false, third);
      return null;
    });
    assertNull(third.get(5, TimeUnit.SECONDS), "a moved session is not this node's to give");
  }

  @Test
  void everyPieceOfTheSessionMovesInItsStateAndGoesOnOnTheNewNode() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = connect(c);
    onLoop(() -> {
      s.subscribe("$share/g/x", QOS1);
      s.admitQos2(7, 10);
      return null;
    });
    deliver(s, 1, 2);
    onLoop(() -> {
      c.writable = false;
      return null;
    });
    deliver(s, 3);
    SessionSnapshot state = handOver(s).state();
    assertEquals(Set.of("t", "$share/g/x"), state.subscriptions().keySet());
    assertEquals(List.of(1, 2), state.inflight().stream().map(InflightMessage::packetId).toList());
    assertEquals(List.of(1, 2, 3), numbers(state));
    assertEquals(2, state.lastPacketId());
    assertEquals(Set.of(7), state.inboundQos2());
    assertEquals(SessionExpiry.NEVER, state.expiryInterval());

    // The new owner: another node's registry, the same loop.
    SessionRegistry n2 =
        new SessionRegistry(
            SettingsLoader.fromString("").mqtt().sessions(),
            new SubscriptionTree(),
            new BrokerMetrics(),
            (m, r) -> {},
            (d, id, hops, r) -> {},
            new RecordingCluster(),
            10_000,
            300_000,
            new PermissionRetries(
                who -> Permissions.ALL, 1, Duration.ofSeconds(10), Duration.ofSeconds(10)),
            SessionStore.MEMORY);
    FakeConnection there = new FakeConnection(loop);
    Session moved = onLoop(() -> {
      Session m = n2.claim("c", loop, false);
      assertTrue(m.attach(there, false, SessionExpiry.NEVER, null, state, 2));
      m.resumeDelivery();
      return m;
    });
    assertEquals(List.of(1, 2, 3), onLoop(there::publishedNumbers));
    assertEquals(List.of(1, 2, 3), onLoop(there::publishedIds), "its packet ids go on");
    assertEquals(state.subscriptions(), onLoop(moved::subscriptions));
    assertEquals(
        InboundQos2.Admission.RESEND,
        onLoop(() -> moved.admitQos2(7, 10)),
        "a QoS 2 message it had accepted is not routed twice");
  }

  // ---- helpers ----

  private Session connect(FakeConnection c) throws Exception {
    return connect(c, null, null);
  }

  private Session connect(FakeConnection c, SessionSnapshot handedOver, Will will)
      throws Exception {
    return onLoop(() -> {
      Session s = registry.claim("c", loop, false);
      s.attach(c, false, SessionExpiry.NEVER, will, handedOver, 1);
      s.subscribe("t", QOS1);
      s.resumeDelivery();
      return s;
    });
  }

  /**
   * A delivery redirected to a session frozen for a move (its hand-over begun, the confirmation
   * not in yet), which its client's last connection here may not receive, is passed on unjudged:
   * the connection it is bound for, on the node the session moves to, may have other rules
   * (another user name, that node's ACL file), and that node judges it. Kept while frozen, and
   * redirected with the rest once the move is confirmed. Before 940cbf2 the router checked it
   * against the permissions here and dropped it as not authorized until the confirmation came,
   * as RedirectChainAclTest sometimes saw.
   */
  @Test
  void aSessionFrozenForAMovePassesOnWhatItsPermissionsHereDeny() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    c.permissions = mayNotReceive("secret");
    Session s = connect(c);
    HandOver h = handOver(s);
    redirectHere(message("t", 1), message("secret", 2));
    assertEquals(0, metrics.drops(DropReason.NOT_AUTHORIZED), "not judged here");
    assertEquals(2, onLoop(s::queuedCount), "frozen: kept here until the new owner confirms");

    h.confirm("n2");
    assertEquals(List.of("n2:1:1", "n2:2:1"), onLoop(() -> List.copyOf(cluster.redirects)));
    assertEquals(0, metrics.drops(DropReason.NOT_AUTHORIZED));
  }

  /**
   * ... and if the move is aborted the session stays here, so what it took unjudged meanwhile is
   * checked against its permissions as it thaws: what its client may not receive is dropped,
   * counted, the rest waits for it.
   */
  @Test
  void whatAFrozenSessionPassedOnUnjudgedIsCheckedIfTheMoveIsAborted() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    c.permissions = mayNotReceive("secret");
    Session s = connect(c);
    HandOver h = handOver(s);
    redirectHere(message("t", 1), message("secret", 2));
    assertEquals(0, metrics.drops(DropReason.NOT_AUTHORIZED), "passed on while frozen");

    h.abort();
    assertEquals(1, onLoop(s::queuedCount));
    assertEquals(1, metrics.drops(DropReason.NOT_AUTHORIZED), "checked as the session thawed");
    assertTrue(cluster.redirects.isEmpty());
    FakeConnection again = new FakeConnection(loop);
    again.permissions = c.permissions;
    connect(again);
    assertEquals(List.of(1), onLoop(again::publishedNumbers));
  }

  /**
   * What client c may do when an authorizer denies it receiving {@code topic} and allows the
   * rest, made by {@link Authentication} as the broker makes them.
   */
  private static Permissions mayNotReceive(String topic) {
    Authorizer authorizer = new Authorizer() {
      @Override
      public String name() {
        return "deny-" + topic;
      }

      @Override
      public ClientAccess accessFor(ClientIdentity client) {
        return (action, t, qos, retain) ->
            action == Action.RECEIVE && t.equals(topic) ? Access.DENY : Access.ALLOW;
      }
    };
    try (Authentication auth = new Authentication(
        true, SettingsLoader.fromString("").mqtt().auth(), System::nanoTime)) {
      auth.use(List.of(), List.of(authorizer));
      return auth.permissionsFor(new ClientIdentity("c", "u", null, "tcp", null));
    }
  }

  /** The router takes {@code messages} as deliveries a peer redirected to session c. */
  private void redirectHere(Message... messages) throws Exception {
    onLoop(() -> {
      for (Message m : messages) {
        router.deliverRedirected("c", new Delivery(m, 1, false, new int[0]), 1, 0, null);
      }
      return null;
    });
  }

  private HandOver handOver(Session s) throws Exception {
    CompletableFuture<HandOver> h = new CompletableFuture<>();
    onLoop(() -> {
      s.handOver(false, h);
      return null;
    });
    return h.get(5, TimeUnit.SECONDS);
  }

  private void deliver(Session s, int... numbers) throws Exception {
    onLoop(() -> {
      for (int n : numbers) {
        s.deliver(new Delivery(message(n), 1, false, new int[0]));
      }
      return null;
    });
  }

  /** The state of a session that moved holding {@code queued}, nothing else. */
  private static SessionSnapshot holding(Delivery... queued) {
    return new SessionSnapshot(
        Map.of(), List.of(), List.of(queued), Set.of(), 0, 0, List.of(), 0);
  }

  /** A QoS 1 copy of {@code m} for shared subscription {@code group} (null: non-shared). */
  private static Delivery copy(Message m, String group) {
    return new Delivery(m, 1, false, new int[0], group);
  }

  private static Message message(int n) {
    return message("t", n);
  }

  private static Message message(String topic, int n) {
    return new Message(
        topic, new byte[] {(byte) n}, 1, false, MqttProperties.NONE, 0, "pub", "n1", 1000 + n);
  }

  private static Will will() {
    return new Will(message(99), 0, 0);
  }

  private static List<Integer> numbers(SessionSnapshot s) {
    List<Integer> n = new ArrayList<>();
    s.inflight().forEach(f -> n.add((int) f.delivery().message().payload()[0]));
    s.queued().forEach(d -> n.add((int) d.message().payload()[0]));
    return n;
  }

  private <T> T onLoop(Callable<T> task) throws Exception {
    return loop.submit(task).get(5, TimeUnit.SECONDS);
  }
}

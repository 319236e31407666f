package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import io.simqtt.core.routing.DeliveryReceipt;
import io.simqtt.core.topic.SubscriptionOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a stored session passes on from its own entries (to the node it moved to, to another
 * member of a shared group) stays in its store until the new holder has it durably: a kill -9
 * between the two store batches must find each message on one side. The store here holds
 * durability back until the test says, and the cluster holds each redirect's receipt as a durable
 * link holds it until its forward journal write: a copy of the store taken in between
 * ({@link RecordingSessionStore#copy}, what a restart would read) must still hold the entries.
 */
class PassedOnEntriesTest {
  private static final SubscriptionOptions QOS1 = new SubscriptionOptions(1, false, false, 0, 0);
  private static final String GROUP = "$share/g/t";

  @RegisterExtension final StoredSessionFixture fixture = new StoredSessionFixture();
  private final DefaultEventLoop loop = fixture.loop;
  private final RecordingSessionStore store = fixture.store;
  private final RecordingCluster cluster = fixture.cluster;
  /** What the shared redelivery was given, with the receipt it counted on. */
  private final List<DeliveryReceipt> redeliveries = new ArrayList<>();

  @Test
  void whatArrivedWhileFrozenStaysInTheStoreUntilItsRedirectIsJournaledAndDurable()
      throws Exception {
    SessionRegistry registry = fixture.registry("");
    Session s = fixture.offlineWith(registry, delivery(1), delivery(2));
    HandOver h = fixture.handOver(s);
    onLoop(() -> {
      s.deliver(delivery(3)); // frozen: it waits here for the new owner
      return null;
    });
    store.hold();
    h.confirm("n2");
    assertEquals(List.of("n2:3:1"), onLoop(() -> List.copyOf(cluster.redirects)));

    RecordingSessionStore crashNow = store.copy();
    assertNotNull(crashNow.session("c"), "the session left the store before its redirect was"
        + " written to the forward journal: a kill -9 now loses message 3");
    assertEquals(List.of(1, 2, 3), numbers(crashNow), "the entries a restart would find");

    cluster.journaled();
    assertNotNull(store.copy().session("c"), "the journal write is not durable yet");
    assertTrue(store.calls("deleteSession", "c").isEmpty());

    store.makeDurable();
    onLoop(() -> null);
    assertEquals(1, store.calls("deleteSession", "c").size());
    assertNull(store.session("c"), "once the redirect is durable in the journal the entries go");
    assertTrue(onLoop(s::isMoved));
  }

  @Test
  void whatASessionYieldingAfterAHealedPartitionHeldStaysUntilItsRedirectsAreDurable()
      throws Exception {
    SessionRegistry registry = fixture.registry("");
    Session s = fixture.offlineWith(registry, delivery(1), delivery(2));
    store.hold();
    onLoop(() -> {
      s.yieldTo("n3");
      return null;
    });
    assertEquals(List.of("n3:1:1", "n3:2:1"), onLoop(() -> List.copyOf(cluster.redirects)));
    assertEquals(List.of(1, 2), numbers(store.copy()),
        "the entries left the store before their redirects were journaled");

    cluster.journaled();
    store.makeDurable();
    onLoop(() -> null);
    assertNull(store.session("c"));
    assertTrue(store.messages("c").isEmpty());
  }

  @Test
  void aConnectionBackBeforeTheRedirectsAreDurableKeepsTheirEntriesBesideItsNewStateUntilThen()
      throws Exception {
    SessionRegistry registry = fixture.registry("");
    Session s = fixture.offlineWith(registry, delivery(1));
    onLoop(() -> {
      s.yieldTo("n3");
      return null;
    });
    FakeConnection back = new FakeConnection(loop);
    fixture.connect(s, back, false, null);
    onLoop(() -> {
      s.subscribe("t", QOS1);
      s.detach(back, true);
      s.deliver(delivery(7));
      return null;
    });
    assertEquals(List.of("writeSession c false 0", "writeSession c true 1"),
        store.calls("writeSession", "c").stream().map(Object::toString).toList(),
        "the new state replaces what the store kept of the old one, in one unit, all but the"
            + " entry on its way to n3");
    assertEquals(List.of(1, 7), numbers(store.copy()), "the entry of the redirect left the store"
        + " before it was journaled: a kill -9 now loses message 1");

    cluster.journaled();
    onLoop(() -> null);
    assertTrue(store.calls("deleteSession", "c").isEmpty(), "the new state is not deleted");
    assertNotNull(store.session("c"));
    assertEquals(List.of(7), numbers(store), "the redirect's entry goes once it is durable there");
  }

  @Test
  void aQueuedSharedDeliveryGivenToAnotherMemberLeavesTheStoreOnlyOnceTheNewHolderHasIt()
      throws Exception {
    SessionRegistry registry = fixture.registry("", this::heldRedelivery);
    FakeConnection c = new FakeConnection(loop);
    Session s = fixture.connected(registry, c);
    c.writable = false; // it waits in the queue
    onLoop(() -> {
      s.deliver(shared(1));
      s.detach(c, true); // a queued shared message goes to another member
      return null;
    });
    assertEquals(1, redeliveries.size());
    assertNotNull(redeliveries.get(0), "handed on without a receipt to wait for");
    assertEquals(List.of(1), numbers(store.copy()),
        "the entry left the store before the new holder wrote it");

    store.hold();
    redeliveries.get(0).taken(true);
    assertEquals(List.of(1), numbers(store.copy()), "the new holder's entry is not durable yet");
    store.makeDurable();
    onLoop(() -> null);
    assertTrue(store.messages("c").isEmpty());
    assertNotNull(store.session("c"), "the session lives on");
  }

  @Test
  void anEndingSessionKeepsItsSharedEntriesAndItsRecordUntilTheNewHoldersHaveThem()
      throws Exception {
    SessionRegistry registry = fixture.registry("", this::heldRedelivery);
    Session s = withSharedOneSent(registry, new FakeConnection(loop));
    CompletableFuture<HandOver> h = new CompletableFuture<>();
    onLoop(() -> {
      s.handOver(true, h); // a clean start elsewhere: the session ends here
      return null;
    });
    assertNull(h.get(5, TimeUnit.SECONDS));
    assertEquals(1, redeliveries.size());
    assertEquals(List.of(1), numbers(store.copy()),
        "the session was deleted before another member wrote its shared delivery");
    assertSame(s, registry.get("c"), "listed until the store lets it go");

    redeliveries.get(0).taken(true);
    onLoop(() -> null);
    assertNull(store.session("c"));
    assertNull(registry.get("c"));
  }

  @Test
  void aCleanStartKeepsTheSharedEntryItHandsOnInTheStoreUntilTheNewHolderHasIt()
      throws Exception {
    SessionRegistry registry = fixture.registry("", this::heldRedelivery);
    Session s = withSharedOneSent(registry, new FakeConnection(loop));
    FakeConnection again = new FakeConnection(loop);
    fixture.connect(s, again, true, null); // Clean Start 1 on this node
    onLoop(() -> {
      s.subscribe("t", QOS1);
      s.detach(again, true);
      s.deliver(delivery(7)); // the new state's own entry, beside the old one
      return null;
    });
    assertEquals(1, redeliveries.size());
    assertNotNull(redeliveries.get(0), "handed on without a receipt to wait for");
    assertEquals(List.of(1, 7), numbers(store.copy()), "the clean start's write took the shared"
        + " entry off the disk before another member wrote it: a kill -9 now loses message 1");

    store.hold();
    redeliveries.get(0).taken(true);
    assertEquals(List.of(1, 7), numbers(store.copy()), "the new holder's entry is not durable yet");
    store.makeDurable();
    onLoop(() -> null);
    assertEquals(List.of(7), numbers(store), "the passed-on entry goes, the new state's stays");
    assertNotNull(store.session("c"));
    FakeConnection back = new FakeConnection(loop);
    fixture.connect(s, back, false, null);
    assertEquals(List.of(7), onLoop(back::publishedNumbers), "the new session has its own only");
  }

  @Test
  void expiryTurnedZeroByDisconnectKeepsTheSharedEntriesUntilTheNewHoldersHaveThem()
      throws Exception {
    SessionRegistry registry = fixture.registry("", this::heldRedelivery);
    FakeConnection c = new FakeConnection(loop);
    Session s = withSharedOneSent(registry, c);
    onLoop(() -> {
      c.writable = false;
      s.deliver(shared(2)); // queued
      return null;
    });
    onLoop(() -> {
      s.setExpiryInterval(0); // DISCONNECT with Session Expiry Interval 0
      s.detach(c, false); // its connection ends: so does the session
      return null;
    });
    assertEquals(2, redeliveries.size());
    assertEquals(List.of(1, 2), numbers(store.copy()), "the session left the store when its"
        + " expiry turned 0, before another member wrote its shared deliveries");
    assertSame(s, registry.get("c"), "listed until the store lets it go");

    store.hold();
    redeliveries.forEach(r -> r.taken(true));
    assertEquals(List.of(1, 2), numbers(store.copy()), "the new holders' entries are not durable");
    store.makeDurable();
    onLoop(() -> null);
    assertNull(store.session("c"));
    assertTrue(store.messages("c").isEmpty());
    assertNull(registry.get("c"));
  }

  /**
   * An administrator's discard ends the session as an expiry does: its shared deliveries go to
   * another member (before, they were dropped with it), and it leaves the store once those have
   * them durably.
   */
  @Test
  void aDiscardedSessionHandsItsSharedDeliveriesOnAndLeavesTheStoreOnceTheyAreSafe()
      throws Exception {
    SessionRegistry registry = fixture.registry("", this::heldRedelivery);
    FakeConnection c = new FakeConnection(loop);
    Session s = fixture.connected(registry, c);
    c.writable = false;
    onLoop(() -> {
      s.deliver(shared(1));
      s.deliver(shared(2));
      return null;
    });
    onLoop(() -> s.kick(true));
    assertEquals(2, redeliveries.size(), "the shared deliveries were dropped with the session");
    assertEquals(List.of(1, 2), numbers(store), "left the store before the others had them");
    redeliveries.forEach(r -> r.taken(true));
    onLoop(() -> null);
    assertNull(store.session("c"));
    assertTrue(store.messages("c").isEmpty());
  }

  @Test
  void aSharedDeliveryReachingAnEndedSessionGoesOnWithThePublishersReceipt() throws Exception {
    SessionRegistry registry = fixture.registry("", this::heldRedelivery);
    FakeConnection c = new FakeConnection(loop);
    Session s = fixture.connected(registry, c);
    onLoop(() -> s.kick(true));
    AtomicReference<Boolean> answered = new AtomicReference<>();
    DeliveryReceipt publisher = new DeliveryReceipt(answered::set);
    publisher.expect(); // as the router does for the session it chose
    onLoop(() -> {
      try {
        s.deliverRedirected(shared(5), 0, publisher);
      } finally {
        publisher.taken(s.isStored());
      }
      return null;
    });
    publisher.routed();
    assertEquals(1, redeliveries.size());
    assertSame(publisher, redeliveries.get(0), "given to another member without the receipt");
    assertNull(answered.get(), "the publisher's acknowledgement waits for the other member");

    redeliveries.get(0).taken(true);
    assertEquals(Boolean.TRUE, answered.get());
  }

  // ---- helpers ----

  /** A redelivery whose new holder has not written its copy until the test says (taken). */
  private void heldRedelivery(Delivery d, String leaving, DeliveryReceipt receipt) {
    if (receipt != null) {
      receipt.expect();
    }
    redeliveries.add(receipt);
  }

  /** Session c of {@code registry} with connection {@code c}, shared 1 sent, unacknowledged. */
  private Session withSharedOneSent(SessionRegistry registry, FakeConnection c) throws Exception {
    Session s = fixture.connected(registry, c);
    onLoop(() -> {
      s.deliver(shared(1));
      return null;
    });
    return s;
  }

  private static List<Integer> numbers(RecordingSessionStore st) {
    return st.messages("c").values().stream()
        .map(m -> (int) m.delivery().message().payload()[0])
        .toList();
  }

  private static Delivery delivery(int n) {
    return StoredSessionFixture.delivery(n, 1);
  }

  private static Delivery shared(int n) {
    return new Delivery(delivery(n).message(), 1, false, new int[0], GROUP);
  }

  private <T> T onLoop(Callable<T> task) throws Exception {
    return fixture.onLoop(task);
  }
}

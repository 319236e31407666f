package io.simqtt.core.session;

import static io.simqtt.core.session.StoredSessionFixture.shared;
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
 * member of a shared group) stays in its store until the new holder has written it, and leaves
 * it in one unit with that copy: a kill -9 must find each message on exactly one side. The
 * cluster holds each redirect's receipt as a durable link holds it until its forward journal
 * write, and the new holders here write under the receipt's hold: a copy of the store taken
 * before (what a restart would read) must still hold the entries, and the store as it is at the
 * hold's release ({@link RecordingSessionStore#afterFirstMessageWrite}: a kill right after the
 * batch with the copy) must hold the copy and no longer the entries.
 */
class PassedOnEntriesTest {
  private static final SubscriptionOptions QOS1 = new SubscriptionOptions(1, false, false, 0, 0);

  @RegisterExtension final StoredSessionFixture fixture = new StoredSessionFixture();
  private final DefaultEventLoop loop = fixture.loop;
  private final RecordingSessionStore store = fixture.store;
  private final RecordingCluster cluster = fixture.cluster;
  /** What the shared redelivery was given, with the receipt it counted on. */
  private final List<DeliveryReceipt> redeliveries = new ArrayList<>();

  @Test
  void whatArrivedWhileFrozenStaysInTheStoreUntilItsRedirectIsJournaledAndLeavesInThatUnit()
      throws Exception {
    SessionRegistry registry = fixture.registry("");
    Session s = fixture.offlineWith(registry, delivery(1), delivery(2));
    HandOver h = fixture.handOver(s);
    onLoop(() -> {
      s.deliver(delivery(3)); // frozen: it waits here for the new owner
      return null;
    });
    h.confirm("n2");
    assertEquals(List.of("n2:3:1"), onLoop(() -> List.copyOf(cluster.redirects)));

    RecordingSessionStore crashNow = store.copy();
    assertNotNull(crashNow.session("c"), "the session left the store before its redirect was"
        + " written to the forward journal: a kill -9 now loses message 3");
    assertEquals(List.of(1, 2, 3), crashNow.numbers("c"), "the entries a restart would find");

    store.keepAfterFirstMessageWrite();
    cluster.journaled(store);
    onLoop(() -> null);
    RecordingSessionStore killed = store.afterFirstMessageWrite();
    assertEquals(1, killed.messages("journal:n2").size());
    assertNull(killed.session("c"), "the session's deletion goes in the unit of the journal write");
    assertTrue(killed.messages("c").isEmpty());
    assertEquals(List.of("n2"), killed.redirects().stream().map(StoredRedirect::newOwner).toList(),
        "its redirect takes its place in that unit");
    assertEquals(1, store.calls("redirectSession", "c").size());
    assertTrue(onLoop(s::isMoved));
  }

  @Test
  void whatASessionYieldingAfterAHealedPartitionHeldStaysUntilItsRedirectsAreJournaled()
      throws Exception {
    SessionRegistry registry = fixture.registry("");
    Session s = fixture.offlineWith(registry, delivery(1), delivery(2));
    onLoop(() -> {
      s.yieldTo("n3");
      return null;
    });
    assertEquals(List.of("n3:1:1", "n3:2:1"), onLoop(() -> List.copyOf(cluster.redirects)));
    assertEquals(List.of(1, 2), store.copy().numbers("c"),
        "the entries left the store before their redirects were journaled");

    store.keepAfterFirstMessageWrite();
    cluster.journaled(store);
    onLoop(() -> null);
    RecordingSessionStore killed = store.afterFirstMessageWrite();
    assertEquals(2, killed.messages("journal:n3").size());
    assertNull(killed.session("c"), "gone in the unit of the journal writes");
    assertTrue(killed.messages("c").isEmpty());
  }

  @Test
  void aConnectionBackBeforeTheRedirectsAreJournaledKeepsTheirEntriesBesideItsNewStateUntilThen()
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
    assertEquals(List.of(1, 7), store.copy().numbers("c"),
        "the entry of the redirect left the store before it was journaled: a kill -9 now loses"
            + " message 1");

    store.keepAfterFirstMessageWrite();
    cluster.journaled(store);
    onLoop(() -> null);
    assertTrue(store.calls("deleteSession", "c").isEmpty(), "the new state is not deleted");
    RecordingSessionStore killed = store.afterFirstMessageWrite();
    assertNotNull(killed.session("c"));
    assertEquals(List.of(7), killed.numbers("c"),
        "the redirect's entry goes in the unit of its journal write");
    assertEquals(1, killed.messages("journal:n3").size());
  }

  @Test
  void aQueuedSharedDeliveryGivenToAnotherMemberLeavesTheStoreInTheUnitOfTheNewHoldersCopy()
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
    assertEquals(List.of(1), store.copy().numbers("c"),
        "the entry left the store before the new holder wrote it");

    store.keepAfterFirstMessageWrite();
    newHolderWrites(0, 1);
    onLoop(() -> null);
    RecordingSessionStore killed = store.afterFirstMessageWrite();
    assertEquals(1, killed.messages("other").size());
    assertTrue(killed.messages("c").isEmpty(), "the entry goes in the unit of the new holder's");
    assertNotNull(killed.session("c"), "the session lives on");
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
    assertEquals(List.of(1), store.copy().numbers("c"),
        "the session was deleted before another member wrote its shared delivery");
    assertSame(s, registry.get("c"), "listed until the store lets it go");

    store.keepAfterFirstMessageWrite();
    newHolderWrites(0, 1);
    onLoop(() -> null);
    RecordingSessionStore killed = store.afterFirstMessageWrite();
    assertEquals(1, killed.messages("other").size());
    assertNull(killed.session("c"), "gone in the unit of the new holder's entry");
    assertNull(registry.get("c"));
  }

  @Test
  void aCleanStartKeepsTheSharedEntryItHandsOnInTheStoreUntilTheNewHolderHasWrittenIt()
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
    assertEquals(List.of(1, 7), store.copy().numbers("c"), "the clean start's write took the shared"
        + " entry off the disk before another member wrote it: a kill -9 now loses message 1");

    store.keepAfterFirstMessageWrite();
    newHolderWrites(0, 1);
    onLoop(() -> null);
    RecordingSessionStore killed = store.afterFirstMessageWrite();
    assertEquals(List.of(7), killed.numbers("c"),
        "the passed-on entry goes in the unit of the new holder's, the new state's stays");
    assertEquals(1, killed.messages("other").size());
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
    assertEquals(List.of(1, 2), store.copy().numbers("c"), "the session left the store when its"
        + " expiry turned 0, before another member wrote its shared deliveries");
    assertSame(s, registry.get("c"), "listed until the store lets it go");

    store.keepAfterFirstMessageWrite();
    newHolderWrites(0, 1);
    newHolderWrites(1, 2);
    onLoop(() -> null);
    RecordingSessionStore killed = store.afterFirstMessageWrite();
    assertEquals(2, killed.messages("other").size());
    assertNull(killed.session("c"), "gone in the unit of the new holders' entries");
    assertTrue(killed.messages("c").isEmpty());
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
    FakeConnection c = new FakeConnection(loop);
    Session s = takingNothing(c);
    onLoop(() -> {
      s.deliver(shared(1));
      s.deliver(shared(2));
      return null;
    });
    onLoop(() -> s.kick(true));
    assertEquals(2, redeliveries.size(), "the shared deliveries were dropped with the session");
    assertEquals(List.of(1, 2), store.numbers("c"), "left the store before the others had them");
    redeliveries.forEach(r -> r.taken(true));
    onLoop(() -> null);
    assertNull(store.session("c"));
    assertTrue(store.messages("c").isEmpty());
  }

  /**
   * A session that left the store while two pass-ons were outstanding (a queued shared delivery
   * handed on at its disconnect, then the rest at its end) drops the first one's entries in the
   * unit of their new holder's copy, not only with the session once the second completes: a
   * kill between the two would bring them back in the session.
   */
  @Test
  void aSessionThatLeftTheStoreDropsTheEntriesOfEachPassOnInItsNewHoldersUnit() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = takingNothing(c);
    onLoop(() -> {
      s.deliver(shared(1));
      s.detach(c, true); // queued: handed on now
      s.deliver(shared(2)); // offline: queued
      return null;
    });
    onLoop(() -> s.kick(true)); // the session ends, its shared delivery handed on
    assertEquals(2, redeliveries.size());
    assertEquals(List.of(1, 2), store.numbers("c"));

    store.keepAfterFirstMessageWrite();
    newHolderWrites(0, 1);
    onLoop(() -> null);
    RecordingSessionStore killed = store.afterFirstMessageWrite();
    assertEquals(List.of(2), killed.numbers("c"), "the first pass-on's entry goes in its unit");
    assertNotNull(killed.session("c"), "kept while the second pass-on is outstanding");

    newHolderWrites(1, 2);
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
        s.deliverRedirected(shared(5), 0, 0, publisher);
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

  @Test
  void aRedirectTheLinkRefusedLeavesTheEntriesAndTheSessionInTheStore() throws Exception {
    SessionRegistry registry = fixture.registry("");
    Session s = fixture.offlineWith(registry, delivery(1), delivery(2));
    onLoop(() -> {
      s.yieldTo("n3");
      return null;
    });
    cluster.refused(); // the node is stopping: the link kept nothing of them
    onLoop(() -> null);
    assertEquals(List.of(1, 2), store.numbers("c"), "entries deleted with no copy anywhere");
    assertNotNull(store.session("c"), "a restart would not find them without their session");
  }

  @Test
  void aLargePassOnGoesInUnitsEachDeletingItsEntriesWithItsNewHoldersCopies() throws Exception {
    int n = 2 * PassOn.MAX_ENTRIES + 1;
    SessionRegistry registry = fixture.registry(
        "mqtt.sessions { max-queued-messages = 10000, queue-memory-messages = 10000 }");
    Delivery[] queued = new Delivery[n];
    for (int i = 0; i < n; i++) {
      queued[i] = delivery(i % 100);
    }
    Session s = fixture.offlineWith(registry, queued);
    List<Long> seqs = new ArrayList<>(store.messages("c").keySet());
    assertEquals(n, seqs.size());
    onLoop(() -> {
      s.yieldTo("n3");
      return null;
    });
    assertEquals(n, onLoop(() -> cluster.redirects.size()));
    assertEquals(3, onLoop(cluster::receipts), "one hold for all: the store's writer waits on it");

    onLoop(() -> {
      cluster.journaled(PassOn.MAX_ENTRIES);
      return null;
    });
    onLoop(() -> null);
    assertEquals(n - PassOn.MAX_ENTRIES, store.messages("c").size(),
        "the first unit's entries go with its copies, the rest stay until theirs are written");
    assertEquals(seqs.get(PassOn.MAX_ENTRIES), store.messages("c").firstKey(),
        "in order: the first unit is the first entries");
    onLoop(() -> {
      cluster.journaled();
      return null;
    });
    onLoop(() -> null);
    assertTrue(store.messages("c").isEmpty());
  }

  // ---- helpers ----

  /**
   * The new holder of redelivery {@code i} (delivery {@code n}), another member, writes its entry
   * under the receipt's hold and takes it.
   */
  private void newHolderWrites(int i, int n) {
    DeliveryReceipt r = redeliveries.get(i);
    store.addMessage("other", n, shared(n), r.hold());
    r.taken(true);
  }

  /** A redelivery whose new holder has not written its copy until the test says (taken). */
  private void heldRedelivery(Delivery d, String leaving, int hops, DeliveryReceipt receipt) {
    if (receipt != null) {
      receipt.expect();
    }
    redeliveries.add(receipt);
  }

  /**
   * Session c with connection {@code c}, which takes nothing; what it passes on is held ({@link
   * #heldRedelivery}).
   */
  private Session takingNothing(FakeConnection c) throws Exception {
    Session s = fixture.connected(fixture.registry("", this::heldRedelivery), c);
    c.writable = false;
    return s;
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

  private static Delivery delivery(int n) {
    return StoredSessionFixture.delivery(n, 1);
  }

  private <T> T onLoop(Callable<T> task) throws Exception {
    return fixture.onLoop(task);
  }
}

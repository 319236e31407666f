package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import io.simqtt.core.topic.SubscriptionOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A stored session that leaves for another node with part of its queue only on disk (the new
 * owner confirmed a move, and what queued while the session was frozen outgrew the heap; or a
 * healed partition found a later owner and the session yields to it) redirects that part a page
 * at a time, not read whole onto the heap first: with {@code queue-memory-messages = 2}, two on
 * the heap and twenty on disk, at no moment does the session hold more than a page of them,
 * whether queued on the heap or redirected and not yet written to the link's journal; the next
 * page is read only once the link has the last. Every one reaches the new owner once, in order,
 * and only then does the session redirect what arrives; a kill -9 in the middle of the paging
 * (the store as right after one page's unit) leaves each message in the journal or in the
 * session's entries, never both, never neither; a connection attaching in the middle gets none of
 * them, and none goes twice.
 */
class LeaveInPagesTest {
  private static final int PAGE = 2;
  private static final int LAST = 22;

  @RegisterExtension final StoredSessionFixture fixture = new StoredSessionFixture();
  private final DefaultEventLoop loop = fixture.loop;
  private final RecordingSessionStore store = fixture.store;
  private final RecordingCluster cluster = fixture.cluster;

  @Test
  void aConfirmedMoveRedirectsWhatQueuedOnDiskWhileFrozenAPageAtATime() throws Exception {
    Session s = frozenWhileAllArrive();
    fixture.inSession(s, () -> handOver.confirm("n2"));
    assertLeavesInPages(s, "n2");
  }

  @Test
  void aYieldRedirectsWhatItHoldsOnDiskAPageAtATime() throws Exception {
    Session s = holdingAll();
    fixture.inSession(s, () -> s.yieldTo("n3")); // a healed partition found a later owner
    assertLeavesInPages(s, "n3");
  }

  @Test
  void aKillInTheMiddleOfTheConfirmationsPagingLosesNoneAndDoublesNone() throws Exception {
    Session s = frozenWhileAllArrive();
    fixture.inSession(s, () -> handOver.confirm("n2"));
    for (int page = 0; page < 3; page++) { // the heap's two, then the pages (3, 4) and (5, 6)
      step();
    }
    store.keepAfterFirstMessageWrite();
    step(); // the page (7, 8): the kill comes right after its unit
    RecordingSessionStore killed = store.afterFirstMessageWrite();
    assertNotNull(killed, "nothing left to redirect after three pages: not paged");
    List<Integer> journaled = killed.numbers("journal:n2");
    assertTrue(journaled.size() < LAST, "all went in one unit: " + journaled);
    List<Integer> both = new ArrayList<>(journaled);
    both.addAll(killed.numbers("c"));
    assertEquals(all(), both, "each once: in the link's journal, or still the session's");
    assertFalse(onLoop(s::isMoved), "left before the last page");
  }

  /**
   * A connection attaches while a page redirected is not in the link's journal yet, so its entries
   * are still in the store, without waiting for the session to have left (as a connection's
   * attach does, {@link Session#beforeAttach}): the session leaves at once with the rest, read
   * now, passing over what went. The new owner gets each message once, in order; the connection
   * none, and starts clean.
   */
  @Test
  void aConnectionAttachingInTheMiddleOfThePagingSendsTheRestOnceAndStartsClean()
      throws Exception {
    Session s = holdingAll();
    fixture.inSession(s, () -> s.yieldTo("n3"));
    step(); // the heap's two journaled, the page (3, 4) read and redirected
    step(); // (3, 4) journaled, the page (5, 6) read and redirected, not journaled yet
    assertEquals(List.of(1, 2, 3, 4, 5, 6), onLoop(() -> numbers(cluster.redirects)));
    assertTrue(store.numbers("c").containsAll(List.of(5, 6)), "the page with the link");

    FakeConnection back = new FakeConnection(loop);
    fixture.inSession(s, () -> {
      Session.PENDING_ATTACHES.incrementAndGet(s);
      s.attach(back, false, 60, null, null, 0);
      s.resumeDelivery();
    });
    for (int i = 0; i < 20 && (store.waiting() > 0 || onLoop(cluster::unjournaled) > 0); i++) {
      step();
    }
    assertEquals(all(), onLoop(() -> numbers(cluster.redirects)), "once each, in order");
    assertEquals(all(), store.numbers("journal:n3"));
    assertTrue(onLoop(back::publishedNumbers).isEmpty());
    assertFalse(onLoop(s::isMoved));
    assertTrue(store.messages("c").isEmpty(), "left in the store: " + store.numbers("c"));
  }

  /**
   * A client back here while the session yields (its cluster claim brought the state from the
   * node the session yields to): the connection waits until the last page went, nothing of what
   * this node held reaching it here; then it takes the state that came, and every message this
   * node held went to that node once, in order (from where it follows the client back).
   */
  @Test
  void aClientBackHereDuringAYieldWaitsForTheLastPageThenTakesTheStateThatCame()
      throws Exception {
    Session s = holdingAll();
    fixture.inSession(s, () -> s.yieldTo("n3"));
    step(); // the heap's two journaled, the page (3, 4) read and redirected
    SessionSnapshot fromN3 = new SessionSnapshot(
        Map.of("t", new SubscriptionOptions(1, false, false, 0, 0)),
        List.of(), List.of(delivery(1), delivery(2)), Set.of(), 60, 0, List.of(), 0);
    FakeConnection back = new FakeConnection(loop);
    List<Boolean> present = fixture.connect(s, back, false, fromN3);
    assertTrue(present.isEmpty(), "attached before the session left");
    for (int i = 0; i < 40 && present.isEmpty(); i++) {
      step();
    }
    assertEquals(List.of(true), present);
    assertEquals(all(), onLoop(() -> numbers(cluster.redirects)), "once each, in order");
    assertEquals(List.of(1, 2), onLoop(back::publishedNumbers), "the state that came only");
    assertFalse(onLoop(s::isMoved));
    step();
    assertEquals(all(), store.numbers("journal:n3"));
  }

  /**
   * Another node's claim while the session yields waits, and is answered "not here" once the last
   * page went (the claimer takes the state from the node the session went to): it never freezes
   * the session, so no page is held back from that node.
   */
  @Test
  void aClaimDuringAYieldWaitsThenFindsTheSessionGone() throws Exception {
    Session s = holdingAll();
    fixture.inSession(s, () -> s.yieldTo("n3"));
    step();
    CompletableFuture<HandOver> claim =
        new CompletableFuture<>();
    fixture.inSession(s, () -> s.handOver(false, claim));
    assertFalse(claim.isDone(), "answered while leaving");
    for (int i = 0; i < 40 && !claim.isDone(); i++) {
      step();
    }
    assertNull(claim.get(5, TimeUnit.SECONDS));
    assertTrue(onLoop(s::isMoved));
    assertEquals(all(), onLoop(() -> numbers(cluster.redirects)), "once each, in order");
  }

  /**
   * A yield of a session with QoS 2 messages in flight: the one whose PUBREC arrived is the
   * client's and does not go; the one not acknowledged goes first, ahead of the queue and pages.
   */
  @Test
  void aYieldSendsTheUnacknowledgedInFlightFirstAndNotTheReleasedOne() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = fixture.connected(fixture.registry(
        "mqtt.sessions.queue-memory-messages = " + PAGE), c);
    onLoop(() -> {
      s.subscribe("t", new SubscriptionOptions(2, false, false, 0, 0));
      s.deliver(StoredSessionFixture.delivery(1, 2));
      s.deliver(StoredSessionFixture.delivery(2, 2));
      return null;
    });
    List<Integer> ids = onLoop(c::publishedIds);
    assertEquals(2, ids.size());
    onLoop(() -> {
      s.onPubRec(ids.get(0), 0);
      c.writable = false;
      for (int n = 3; n <= LAST; n++) {
        s.deliver(StoredSessionFixture.delivery(n, 2));
      }
      return null;
    });
    store.hold();
    fixture.inSession(s, () -> s.yieldTo("n3"));
    for (int i = 0; i < 100 && !onLoop(s::isMoved); i++) {
      step();
    }
    assertTrue(onLoop(s::isMoved));
    assertEquals(IntStream.rangeClosed(2, LAST).boxed().toList(),
        onLoop(() -> numbers(cluster.redirects)), "once each, in order, 1 not");
    step();
    assertTrue(store.messages("c").isEmpty(), "left in the store: " + store.numbers("c"));
  }

  /**
   * Lets the session leave step by step, measuring what it holds at each (a message arriving
   * after the first page: it goes behind the rest), and checks each message reached {@code to}
   * once, in order, with at most a page on the heap or with the link at once, and that the
   * session left the store and redirects from then on.
   */
  private void assertLeavesInPages(Session s, String to) throws Exception {
    assertEquals(0, store.pageReads(), "the disk was read on the session's event loop");
    int mostOnHeap = 0;
    int mostUnjournaled = 0;
    for (int i = 0; i < 100 && !onLoop(s::isMoved); i++) {
      mostOnHeap = Math.max(mostOnHeap, onLoop(s::queuedInMemory));
      mostUnjournaled = Math.max(mostUnjournaled, onLoop(cluster::unjournaled));
      step();
      if (i == 1) {
        onLoop(() -> {
          s.deliver(delivery(LAST + 1)); // arrives during the paging: behind what is on disk
          return null;
        });
      }
    }
    List<Integer> expected = IntStream.rangeClosed(1, LAST + 1).boxed().toList();
    assertEquals(expected, onLoop(() -> numbers(cluster.redirects)), "each once, in order");
    assertTrue(mostOnHeap <= PAGE, "queued on the heap at once: " + mostOnHeap);
    assertTrue(mostUnjournaled <= PAGE, "redirected at once, not journaled: " + mostUnjournaled);
    onLoop(() -> {
      s.deliver(delivery(LAST + 2)); // after: redirected at once
      return null;
    });
    assertEquals(to + ":" + (LAST + 2) + ":1", onLoop(() -> cluster.redirects.get(LAST + 1)));
    step(); // the last page's journal writes
    assertEquals(expected, store.numbers("journal:" + to), "what the session's entries held");
    assertNull(store.session("c"));
    assertTrue(store.messages("c").isEmpty(), "left in the store: " + store.numbers("c"));
  }

  /** The link writes what was redirected to its journal; the page read asked for goes through. */
  private void step() throws Exception {
    onLoop(() -> {
      cluster.journaled(store);
      return null;
    });
    store.makeDurable();
    onLoop(() -> null);
  }

  private HandOver handOver;

  /**
   * Session c, stored, its connection not reading, frozen for a move with nothing queued; then 1
   * to 22 arrive: 1 and 2 on the heap, 3 to 22 only on disk.
   */
  private Session frozenWhileAllArrive() throws Exception {
    Session s = connected();
    handOver = fixture.handOver(s);
    assertTrue(handOver.state().queued().isEmpty());
    deliverAll(s);
    store.hold();
    return s;
  }

  /** Session c, stored, its connection not reading, holding 1 to 22 as above. */
  private Session holdingAll() throws Exception {
    Session s = connected();
    deliverAll(s);
    store.hold();
    return s;
  }

  private Session connected() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = fixture.connected(fixture.registry(
        "mqtt.sessions.queue-memory-messages = " + PAGE), c);
    c.writable = false;
    return s;
  }

  private void deliverAll(Session s) throws Exception {
    onLoop(() -> {
      for (int n = 1; n <= LAST; n++) {
        s.deliver(delivery(n));
      }
      return null;
    });
    assertEquals(PAGE, onLoop(s::queuedInMemory));
  }

  private static Delivery delivery(int n) {
    return StoredSessionFixture.delivery(n, 1);
  }

  private static List<Integer> all() {
    return IntStream.rangeClosed(1, LAST).boxed().toList();
  }

  /** The numbers of redirects noted as "node:number:hops". */
  private static List<Integer> numbers(List<String> redirects) {
    return redirects.stream().map(r -> Integer.parseInt(r.split(":")[1])).toList();
  }

  private <T> T onLoop(Callable<T> task) throws Exception {
    return fixture.onLoop(task);
  }
}

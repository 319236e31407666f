package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import io.simqtt.core.topic.SubscriptionOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The claimer's side of a large session's move: the queued messages that come in pages behind
 * the state go to the store as they come ({@link SessionImport}), and the session installed from
 * the state reads them back as its backlog, in order, behind what came on the heap. The store
 * holds each page read until the test lets it through.
 */
class SessionImportTest {
  private static final SubscriptionOptions QOS1 = new SubscriptionOptions(1, false, false, 0, 0);

  @RegisterExtension final StoredSessionFixture fixture = new StoredSessionFixture();
  private final DefaultEventLoop loop = fixture.loop;
  private final RecordingSessionStore store = fixture.store;
  private final RecordingCluster cluster = fixture.cluster;

  @Test
  void pagesGoToTheStoreAndTheInstalledSessionSendsThemInOrderBehindItsHeap() throws Exception {
    SessionRegistry registry = fixture.registry("mqtt.sessions.queue-memory-messages = 2");
    SessionSnapshot state = imported(registry);
    assertEquals(List.of(1, 2), numbers(state.queued()), "the heap part");
    assertEquals(5, store.messages("c").size(), "the pages went to the store as they came");

    FakeConnection c = new FakeConnection(loop);
    store.hold();
    Session s = attach(registry, c, 60, state);
    assertTrue(store.calls("beginImport", "c").size() == 1
        && store.calls("abandonImport", "c").isEmpty());
    assertEquals(List.of(1, 2), onLoop(c::publishedNumbers),
        "the heap part at once; the rest waits for its page reads");
    assertEquals(List.of(1, 2, 3, 4, 5, 6, 7), receiveAll(s, c, 7));
    store.makeDurable();
    assertEquals(0, store.messages("c").size(),
        "acknowledged entries still on disk: " + store.messages("c"));
  }

  @Test
  void aConnectionThatKeepsNoSessionGetsThePagesOnTheHeapAndTheStoreKeepsNothing()
      throws Exception {
    SessionRegistry registry = fixture.registry("mqtt.sessions.queue-memory-messages = 2");
    SessionImport incoming = registry.importSession("c", false);
    incoming.add(List.of(delivery(3), delivery(4)));
    SessionSnapshot state = incoming.finish(head());
    assertNull(state.backlog());
    assertEquals(List.of(1, 2, 3, 4), numbers(state.queued()));
    FakeConnection c = new FakeConnection(loop);
    attach(registry, c, 0, state);
    assertEquals(List.of(1, 2, 3, 4), onLoop(c::publishedNumbers));
    assertTrue(store.messages("c").isEmpty(), "entries in the store: " + store.messages("c"));
    assertTrue(store.calls("beginImport", "c").isEmpty());
  }

  @Test
  void anAbandonedImportLeavesNothingAndOneBesideASessionHereTakesOnlyItsOwnEntries()
      throws Exception {
    SessionRegistry registry = fixture.registry("");
    SessionImport abandoned = registry.importSession("c", true);
    abandoned.add(List.of(delivery(3), delivery(4)));
    abandoned.abandon();
    abandoned.add(List.of(delivery(5)));
    store.makeDurable();
    assertTrue(store.messages("c").isEmpty(), "entries left: " + store.messages("c"));

    offlineWith(registry, 1, 2); // a session of the client is here, its entries in the store
    SessionImport beside = registry.importSession("c", true);
    beside.add(List.of(delivery(3), delivery(4)));
    assertEquals(List.of(1L, 2L, SessionImport.FIRST_SEQ, SessionImport.FIRST_SEQ + 1),
        List.copyOf(store.messages("c").keySet()), "the pages did not go to the store");
    beside.abandon();
    assertEquals(List.of(1, 2), numbers(store), "the session's own entries must stay");
  }

  /**
   * A move back to a node that still has the redirect the last move away left (within {@code
   * cluster.redirect-time}): the pages go to the store, not the heap, above every entry the store
   * keeps of the redirect (here from an import before, FIRST_SEQ and up, kept until what it passed
   * on is safe). The redirect's entries leave the store while the pages come, the import's stay,
   * and the installed session sends every message once and in order.
   */
  @Test
  void aRedirectLeftHereTakesTheNextImportOnDiskAboveWhatItKeepsAndTheInstallSendsItOnce()
      throws Exception {
    SessionRegistry registry = fixture.registry("mqtt.sessions.queue-memory-messages = 2");
    FakeConnection first = new FakeConnection(loop);
    Session s = attach(registry, first, 60, imported(registry));
    fixture.inSession(s, () -> {
      s.detach(first, true);
      s.deliver(delivery(8)); // behind the backlog: FIRST_SEQ + 5
    });
    HandOver h = handOver(s);
    fixture.inSession(s, () -> s.deliver(delivery(9))); // frozen: passed on at the confirmation
    store.hold();
    h.confirm("n2");
    long kept = SessionImport.FIRST_SEQ + 6;
    assertEquals(kept, store.messages("c").lastKey(), "the redirect keeps its entries until 9 is"
        + " safe at n2");

    SessionImport back = registry.importSession("c", true);
    back.add(List.of(delivery(13), delivery(14)));
    fixture.inSession(s, () -> s.deliver(delivery(10))); // still redirected meanwhile
    cluster.journaled();
    store.makeDurable(); // 9 is safe at n2: the redirect leaves the store
    fixture.inSession(s, () -> { });
    back.add(List.of(delivery(15), delivery(16), delivery(17)));
    SessionSnapshot state = back.finish(head(11, 12));

    long base = kept + SessionImport.ROOM;
    assertEquals(List.of("beginImport c " + SessionImport.FIRST_SEQ, "beginImport c " + base),
        store.calls("beginImport", "c").stream().map(Object::toString).toList());
    assertEquals(new StoredBacklog("c", 5, bytes(13, 17), 0, base - 1, base + 4), state.backlog(),
        "the pages stayed on the heap");
    assertEquals(List.of(11, 12), numbers(state.queued()));
    assertEquals(1, store.calls("redirectSession", "c").size());
    assertEquals(List.of(13, 14, 15, 16, 17), numbers(store),
        "the redirect's deletion must leave the import's entries, and only those");
    assertEquals(List.of("n2:9:1", "n2:10:1"), List.copyOf(cluster.redirects));

    FakeConnection again = new FakeConnection(loop);
    Session installed = attach(registry, again, 60, state);
    assertSame(s, installed);
    assertEquals(List.of(11, 12, 13, 14, 15, 16, 17), receiveAll(installed, again, 7));
    store.makeDurable();
    assertEquals(0, store.messages("c").size(),
        "acknowledged entries still on disk: " + store.messages("c"));
  }

  /**
   * A session of the client here that is no redirect (a copy still held) goes on taking messages
   * while the pages come; the install replaces it, its entries go, the import's are the new
   * session's backlog, read back page by page and never all at once.
   */
  @Test
  void aSessionHereTakingMessagesWhileThePagesComeIsReplacedAndTheImportKept() throws Exception {
    SessionRegistry registry = fixture.registry("mqtt.sessions.queue-memory-messages = 2");
    Session s = offlineWith(registry, 1, 2);
    SessionImport incoming = registry.importSession("c", true);
    incoming.add(List.of(delivery(13), delivery(14)));
    fixture.inSession(s, () -> s.deliver(delivery(3)));
    incoming.add(List.of(delivery(15), delivery(16), delivery(17)));
    SessionSnapshot state = incoming.finish(head(11, 12));
    assertEquals(new StoredBacklog("c", 5, bytes(13, 17), 0, SessionImport.FIRST_SEQ - 1,
        SessionImport.FIRST_SEQ + 4), state.backlog());
    assertEquals(List.of(1, 2, 3, 13, 14, 15, 16, 17), numbers(store));

    FakeConnection c = new FakeConnection(loop);
    store.hold();
    attach(registry, c, 60, state);
    assertEquals(0, store.pageReads(), "the install read the imported backlog at once");
    assertEquals(List.of(11, 12, 13, 14, 15, 16, 17), numbers(store.copy()),
        "the install's unit replaces the old entries and keeps the import's");
    assertEquals(List.of(11, 12, 13, 14, 15, 16, 17), receiveAll(s, c, 7));
    store.makeDurable();
    assertEquals(0, store.messages("c").size(),
        "acknowledged entries still on disk: " + store.messages("c"));
  }

  /**
   * A session here whose expiry comes while the pages come reads its own backlog to hand its
   * shared deliveries on, and only its own: its reads stop at its last entry, short of the
   * import's above it, which its deletion leaves for the session installed afterwards.
   */
  @Test
  void aSessionHereExpiringWhileThePagesComeHandsOnOnlyItsOwnEntriesAndLeavesTheImport()
      throws Exception {
    List<Integer> redelivered = new CopyOnWriteArrayList<>();
    SessionRegistry registry = fixture.registry("mqtt.sessions.queue-memory-messages = 2",
        (d, id, hops, r) -> redelivered.add((int) d.message().payload()[0]));
    FakeConnection gone = new FakeConnection(loop);
    Session s = fixture.connected(registry, gone);
    fixture.inSession(s, () -> {
      s.detach(gone, true);
      // 1 and 2 on the heap, 3 to 5 only on disk: read in pages of 2.
      s.deliver(delivery(1));
      s.deliver(shared(2));
      s.deliver(shared(3));
      s.deliver(delivery(4));
      s.deliver(shared(5));
    });
    SessionImport incoming = registry.importSession("c", true);
    incoming.add(List.of(shared(13), delivery(14)));
    fixture.clock.advance(60_000); // its expiry is due
    for (int i = 0; i < 10 && !onLoop(s::isEnded); i++) {
      fixture.inSession(s, () -> { });
    }
    assertTrue(onLoop(s::isEnded));
    assertEquals(List.of(2, 3, 5), redelivered, "handed on: not its own, or not all of them");
    assertEquals(List.of(13, 14), numbers(store), "the import's entries, and only those");

    incoming.add(List.of(delivery(15)));
    SessionSnapshot state = incoming.finish(head(11, 12));
    FakeConnection c = new FakeConnection(loop);
    Session installed = attach(registry, c, 60, state);
    assertEquals(List.of(11, 12, 13, 14, 15), receiveAll(installed, c, 5));
  }

  /**
   * Two imports of one client that overlap: the first claim timed out while its page waited on a
   * full writer, so its abandon is deferred until that page is taken, and the client came back at
   * once; the second claim's pages begin meanwhile. The second import gets a range of its own,
   * ROOM above the first, the first's abandon deletes only its own, and the installed session
   * sends every message of the second transfer once and in order. Before, both began at FIRST_SEQ
   * and the deferred abandon took the second import's entries with it.
   */
  @Test
  void aSecondImportBegunWhileTheFirstsAbandonWaitsForItsPageGetsARangeOfItsOwn()
      throws Exception {
    SessionRegistry registry = fixture.registry("mqtt.sessions.queue-memory-messages = 2");
    SessionImport timedOut = registry.importSession("c", true);
    timedOut.add(List.of(delivery(3), delivery(4)));
    CompletableFuture<Void> stalled = store.stallNextMessageWrite();
    CompletableFuture<Void> lastPage =
        CompletableFuture.runAsync(() -> timedOut.add(List.of(delivery(5))));
    stalled.get(5, TimeUnit.SECONDS);
    timedOut.abandon(); // deferred: its page is being taken

    SessionImport again = registry.importSession("c", true);
    again.add(List.of(delivery(13), delivery(14)));
    store.endStall();
    lastPage.get(5, TimeUnit.SECONDS);
    again.add(List.of(delivery(15), delivery(16), delivery(17)));
    SessionSnapshot state = again.finish(head(11, 12));

    long second = SessionImport.FIRST_SEQ + SessionImport.ROOM;
    assertEquals(List.of("abandonImport c " + SessionImport.FIRST_SEQ),
        store.calls("abandonImport", "c").stream().map(Object::toString).toList());
    assertEquals(List.of(13, 14, 15, 16, 17), numbers(store),
        "the second import's entries, and only those");
    assertEquals(
        new StoredBacklog("c", 5, bytes(13, 17), 0, second - 1, second + 4), state.backlog());

    FakeConnection c = new FakeConnection(loop);
    Session installed = attach(registry, c, 60, state);
    assertEquals(List.of(11, 12, 13, 14, 15, 16, 17), receiveAll(installed, c, 7));
    store.makeDurable();
    assertEquals(0, store.messages("c").size(),
        "acknowledged entries still on disk: " + store.messages("c"));
    assertEquals(0, store.lastImport("c"), "an import still active after the install");
  }

  /** A session here frozen for a hand-over keeps the pages on the heap (see firstSeqAbove). */
  @Test
  void aSessionHereFrozenForAHandOverKeepsThePagesOnTheHeap() throws Exception {
    SessionRegistry registry = fixture.registry("");
    Session s = offlineWith(registry, 1);
    handOver(s);
    SessionImport incoming = registry.importSession("c", true);
    incoming.add(List.of(delivery(13)));
    SessionSnapshot state = incoming.finish(head(11, 12));
    assertNull(state.backlog());
    assertEquals(List.of(11, 12, 13), numbers(state.queued()));
    assertTrue(store.calls("beginImport", "c").isEmpty());
  }

  /**
   * Imports begin above what a session here holds, and above the first seq of an import of the
   * client still active, by {@link SessionImport#ROOM}, and move after move they climb only while
   * each lands on a session still holding entries (or an import still active); they never pass
   * {@link SessionImport#LAST_FIRST_SEQ} (the pages stay on the heap then), so the installed
   * session's seqs never run past the end. Each owns its seqs up to the room or the next import.
   */
  @Test
  void importsBeginAboveWhatIsHeldAndNeverRunPastTheSeqsEnd() {
    long room = SessionImport.ROOM;
    assertEquals(SessionImport.FIRST_SEQ, SessionImport.firstSeqAbove(0, 0));
    assertEquals(SessionImport.FIRST_SEQ, SessionImport.firstSeqAbove(1_000_000, 0));
    long held = SessionImport.FIRST_SEQ + 99;
    assertEquals(held + room, SessionImport.firstSeqAbove(held, 0));
    assertEquals(SessionImport.FIRST_SEQ + room,
        SessionImport.firstSeqAbove(0, SessionImport.FIRST_SEQ), "above an import still active");
    assertEquals(held + room, SessionImport.firstSeqAbove(held, SessionImport.FIRST_SEQ));
    assertEquals(held + 7 + room, SessionImport.firstSeqAbove(held, held + 7));
    assertEquals(0, SessionImport.firstSeqAbove(-1, 0), "frozen here: on the heap");
    assertEquals(0, SessionImport.firstSeqAbove(-1, SessionImport.FIRST_SEQ));
    long last = SessionImport.LAST_FIRST_SEQ;
    assertEquals(last, SessionImport.firstSeqAbove(last - room, 0));
    assertEquals(last, SessionImport.firstSeqAbove(0, last - room));
    assertEquals(0, SessionImport.firstSeqAbove(last - room + 1, 0),
        "an import past the last first seq");
    assertEquals(0, SessionImport.firstSeqAbove(0, last - room + 1));
    assertTrue((last - SessionImport.FIRST_SEQ) / room >= 1 << 29,
        "moves that each climb by the room before the end");
    assertEquals((1L << 61) - 1, Long.MAX_VALUE - last, "seqs left to the installed session");
    assertEquals(0, SessionImport.firstSeqAbove(Long.MAX_VALUE, 0));
    assertEquals(held + room, SessionImport.rangeEnd(held, 0));
    assertEquals(held + room, SessionImport.rangeEnd(held, held + 2 * room));
    assertEquals(held + 5, SessionImport.rangeEnd(held, held + 5), "up to the next import");
  }

  /**
   * A holder that resumes the session after all (the claimer's "installed" came after its
   * timeout, or it was killed before it heard it) yields what it held to the new owner: a second
   * copy of a message that came in a page is dropped, as one that came in the heap part is.
   */
  @Test
  void aRedirectedSecondCopyOfAPagedMessageIsDroppedLikeOneOfTheHeapPart() throws Exception {
    SessionRegistry registry = fixture.registry("mqtt.sessions.queue-memory-messages = 2");
    SessionImport incoming = registry.importSession("c", true);
    incoming.add(List.of(identified(3), identified(4)));
    incoming.add(List.of(identified(5)));
    SessionSnapshot state = incoming.finish(new SessionSnapshot(Map.of("t", QOS1), List.of(),
        List.of(identified(1), identified(2)), Set.of(), 60, 0, List.of(), 0));
    FakeConnection c = new FakeConnection(loop);
    Session s = onLoop(() -> registry.claim("c", loop, true));
    fixture.inSession(s, () -> s.attach(c, false, 60, null, state, 1)); // no CONNACK yet
    assertEquals(5, onLoop(s::queuedCount));

    fixture.inSession(s, () -> s.deliverRedirected(identified(1), 1, 0, null));
    assertEquals(5, onLoop(s::queuedCount), "a second copy of heap message 1 was queued");
    fixture.inSession(s, () -> s.deliverRedirected(identified(4), 1, 0, null));
    assertEquals(5, onLoop(s::queuedCount), "a second copy of paged message 4 was queued");
  }

  /**
   * The window knows the copy a page held, not only its message: a redirected copy of a paged
   * message for another subscription (a shared one, or the non-shared ones) is the client's own
   * (MQTT 5 4.8.2) and is sent, once per subscription; a second copy of one it holds, paged or
   * come since, is still dropped.
   */
  @Test
  void aCopyOfAPagedMessageForAnotherSubscriptionIsSentAndASecondCopyIsDropped()
      throws Exception {
    SessionRegistry registry = fixture.registry("mqtt.sessions.queue-memory-messages = 2");
    SessionImport incoming = registry.importSession("c", true);
    incoming.add(List.of(identified(3), identified(4, "$share/g/t")));
    SessionSnapshot state = incoming.finish(new SessionSnapshot(Map.of("t", QOS1), List.of(),
        List.of(identified(1), identified(2)), Set.of(), 60, 0, List.of(), 0));
    FakeConnection c = new FakeConnection(loop);
    Session s = onLoop(() -> registry.claim("c", loop, true));
    fixture.inSession(s, () -> s.attach(c, false, 60, null, state, 1)); // no CONNACK yet

    fixture.inSession(s, () -> {
      s.deliverRedirected(identified(3, "$share/g/t"), 1, 0, null); // owed
      s.deliverRedirected(identified(3, "$share/h/t"), 1, 0, null); // owed
      s.deliverRedirected(identified(4), 1, 0, null); // owed
      s.deliverRedirected(identified(3), 1, 0, null); // second copies from here on
      s.deliverRedirected(identified(4, "$share/g/t"), 1, 0, null);
      s.deliverRedirected(identified(3, "$share/h/t"), 1, 0, null);
    });
    assertEquals(7, onLoop(s::queuedCount));
    fixture.inSession(s, s::resumeDelivery);
    assertEquals(List.of(1, 2, 3, 4, 3, 3, 4), receiveAll(s, c, 7));
    assertEquals(0, onLoop(s::queuedCount));
  }

  /**
   * A page holding a retained message the holder sent for a SUBSCRIBE there (MQTT 5 3.3.1.3) does
   * not record it in the new owner's window: it is never a second copy of a routed one, so the
   * routed copy redirected after it is the client's own and is sent; that one's second copy is
   * dropped.
   */
  @Test
  void aRetainedMessageSentOnSubscribeThatCameInAPageMakesNoRoutedCopyASecondOne()
      throws Exception {
    SessionRegistry registry = fixture.registry("mqtt.sessions.queue-memory-messages = 2");
    SessionImport incoming = registry.importSession("c", true);
    incoming.add(List.of(identified(3),
        Delivery.retainedOnSubscribe(identified(4).message(), 1, new int[0])));
    SessionSnapshot state = incoming.finish(new SessionSnapshot(Map.of("t", QOS1), List.of(),
        List.of(identified(1), identified(2)), Set.of(), 60, 0, List.of(), 0));
    FakeConnection c = new FakeConnection(loop);
    Session s = onLoop(() -> registry.claim("c", loop, true));
    fixture.inSession(s, () -> s.attach(c, false, 60, null, state, 1)); // no CONNACK yet

    fixture.inSession(s, () -> {
      s.deliverRedirected(identified(4), 1, 0, null); // owed
      s.deliverRedirected(identified(4), 1, 0, null); // its second copy
    });
    assertEquals(5, onLoop(s::queuedCount));
    fixture.inSession(s, s::resumeDelivery);
    assertEquals(List.of(1, 2, 3, 4, 4), receiveAll(s, c, 5));
    assertEquals(List.of(false, false, false, true, false), onLoop(c::publishedRetains));
  }

  /** A state of queued 1 and 2 on the heap and 3 to 7 in pages, imported into {@code registry}. */
  private SessionSnapshot imported(SessionRegistry registry) {
    SessionImport incoming = registry.importSession("c", true);
    incoming.add(List.of(delivery(3), delivery(4)));
    incoming.add(List.of(delivery(5), delivery(6)));
    incoming.add(List.of(delivery(7)));
    SessionSnapshot state = incoming.finish(head());
    assertEquals(new StoredBacklog("c", 5, bytes(3, 7), 0, SessionImport.FIRST_SEQ - 1,
        SessionImport.FIRST_SEQ + 4), state.backlog());
    return state;
  }

  private static SessionSnapshot head() {
    return head(1, 2);
  }

  /** A state's first part: subscribed to t, {@code numbers} queued on the heap. */
  private static SessionSnapshot head(int... numbers) {
    List<Delivery> queued = new ArrayList<>();
    for (int n : numbers) {
      queued.add(delivery(n));
    }
    return new SessionSnapshot(Map.of("t", QOS1), List.of(), queued, Set.of(), 60, 0, List.of(), 0);
  }

  /** A stored session of c here, offline, holding {@code numbers} queued. */
  private Session offlineWith(SessionRegistry registry, int... numbers) throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = fixture.connected(registry, c);
    fixture.inSession(s, () -> {
      s.detach(c, true);
      for (int n : numbers) {
        s.deliver(delivery(n));
      }
    });
    return s;
  }

  private HandOver handOver(Session s) throws Exception {
    CompletableFuture<HandOver> h = new CompletableFuture<>();
    fixture.inSession(s, () -> s.handOver(false, h));
    return h.get(5, TimeUnit.SECONDS);
  }

  /**
   * What {@code c} is sent, acknowledging each, until {@code n} messages came: page reads go
   * through as the store makes writes durable.
   */
  private List<Integer> receiveAll(Session s, FakeConnection c, int n) throws Exception {
    List<Integer> ids = new ArrayList<>();
    for (int round = 0; round < 2 * n && ids.size() < n; round++) {
      store.makeDurable();
      List<Integer> sent = onLoop(c::publishedIds);
      List<Integer> fresh = sent.subList(ids.size(), sent.size());
      ids.addAll(fresh);
      fixture.inSession(s, () -> fresh.forEach(s::onPubAck));
    }
    return onLoop(c::publishedNumbers);
  }

  /** The payload numbers of the entries {@code st} holds for c, in seq order. */
  private static List<Integer> numbers(RecordingSessionStore st) {
    return st.messages("c").values().stream()
        .map(m -> (int) m.delivery().message().payload()[0])
        .toList();
  }

  private Session attach(SessionRegistry registry, FakeConnection c, long expiry,
      SessionSnapshot state) throws Exception {
    Session s = onLoop(() -> registry.claim("c", loop, true));
    fixture.inSession(s, () -> {
      s.attach(c, false, expiry, null, state, 1);
      s.resumeDelivery();
    });
    return s;
  }

  private static List<Integer> numbers(List<Delivery> ds) {
    return ds.stream().map(d -> (int) d.message().payload()[0]).toList();
  }

  private static Delivery delivery(int n) {
    return StoredSessionFixture.delivery(n, 1);
  }

  /** The queued bytes of messages {@code from} to {@code to}, as an import sums them. */
  private static long bytes(int from, int to) {
    long n = 0;
    for (int i = from; i <= to; i++) {
      n += delivery(i).queuedBytes();
    }
    return n;
  }

  private static Delivery shared(int n) {
    return new Delivery(delivery(n).message(), 1, false, new int[0], "$share/g/t");
  }

  /** Message {@code n}, identified cluster-wide (as every routed message is). */
  private static Delivery identified(int n) {
    return identified(n, null);
  }

  /** {@link #identified(int)} as a delivery for shared subscription {@code group} (null: none). */
  private static Delivery identified(int n, String group) {
    Delivery d = delivery(n);
    return new Delivery(d.message().identified("n1", 1000 + n), d.qos(), d.retain(),
        d.subscriptionIds(), group);
  }

  private <T> T onLoop(Callable<T> task) throws Exception {
    return fixture.onLoop(task);
  }
}

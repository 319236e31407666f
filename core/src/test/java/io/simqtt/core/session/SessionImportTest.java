package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import io.simqtt.core.topic.SubscriptionOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
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
    List<Integer> ids = new ArrayList<>();
    for (int round = 0; round < 10 && ids.size() < 7; round++) {
      store.makeDurable(); // page reads go through
      List<Integer> sent = onLoop(c::publishedIds);
      List<Integer> fresh = sent.subList(ids.size(), sent.size());
      ids.addAll(fresh);
      fixture.inSession(s, () -> fresh.forEach(s::onPubAck));
    }
    assertEquals(List.of(1, 2, 3, 4, 5, 6, 7), onLoop(c::publishedNumbers));
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
  void anAbandonedImportLeavesNothingAndOneWithASessionHereStaysOnTheHeap() throws Exception {
    SessionRegistry registry = fixture.registry("");
    SessionImport abandoned = registry.importSession("c", true);
    abandoned.add(List.of(delivery(3), delivery(4)));
    abandoned.abandon();
    abandoned.add(List.of(delivery(5)));
    store.makeDurable();
    assertTrue(store.messages("c").isEmpty(), "entries left: " + store.messages("c"));

    onLoop(() -> registry.claim("c", loop, false)); // a session of the client is here
    SessionImport onHeap = registry.importSession("c", true);
    onHeap.add(List.of(delivery(3), delivery(4)));
    SessionSnapshot state = onHeap.finish(head());
    assertNull(state.backlog());
    assertEquals(List.of(1, 2, 3, 4), numbers(state.queued()));
    assertTrue(store.messages("c").isEmpty());
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
        List.of(identified(1), identified(2)), Set.of(), 60, 0, List.of()));
    FakeConnection c = new FakeConnection(loop);
    Session s = onLoop(() -> registry.claim("c", loop, true));
    fixture.inSession(s, () -> s.attach(c, false, 60, null, state, 1)); // no CONNACK yet
    assertEquals(5, onLoop(s::queuedCount));

    fixture.inSession(s, () -> s.deliverRedirected(identified(1), 1, null));
    assertEquals(5, onLoop(s::queuedCount), "a second copy of heap message 1 was queued");
    fixture.inSession(s, () -> s.deliverRedirected(identified(4), 1, null));
    assertEquals(5, onLoop(s::queuedCount), "a second copy of paged message 4 was queued");
  }

  /** A state of queued 1 and 2 on the heap and 3 to 7 in pages, imported into {@code registry}. */
  private SessionSnapshot imported(SessionRegistry registry) {
    SessionImport incoming = registry.importSession("c", true);
    incoming.add(List.of(delivery(3), delivery(4)));
    incoming.add(List.of(delivery(5), delivery(6)));
    incoming.add(List.of(delivery(7)));
    SessionSnapshot state = incoming.finish(head());
    assertEquals(new StoredBacklog("c", 5, 0, SessionImport.FIRST_SEQ - 1,
        SessionImport.FIRST_SEQ + 4), state.backlog());
    return state;
  }

  private static SessionSnapshot head() {
    return new SessionSnapshot(Map.of("t", QOS1), List.of(),
        List.of(delivery(1), delivery(2)), Set.of(), 60, 0, List.of());
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

  /** Message {@code n}, identified cluster-wide (as every routed message is). */
  private static Delivery identified(int n) {
    Delivery d = delivery(n);
    return new Delivery(d.message().identified("n1", 1000 + n), d.qos(), d.retain(),
        d.subscriptionIds());
  }

  private <T> T onLoop(Callable<T> task) throws Exception {
    return fixture.onLoop(task);
  }
}

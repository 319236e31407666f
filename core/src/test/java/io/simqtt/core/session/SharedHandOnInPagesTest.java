package io.simqtt.core.session;

import static io.simqtt.core.session.StoredSessionFixture.shared;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import io.simqtt.core.routing.DeliveryReceipt;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A stored session that ends with its shared deliveries on disk (here: its connection ends with
 * Session Expiry 0), or whose connection ends while it lives on, hands them on a page at a time,
 * not read whole onto the heap first: with {@code queue-memory-messages = 2}, two on the heap and
 * twenty on disk (ten pages, every fourth message of no shared group), at no moment does the
 * session hold more than a page of them, whether queued on the heap or handed on and not yet
 * written by their new holder; the next page is read only once the new holder has the last. Every
 * one reaches the new holder once, in order, and a kill -9 in the middle of the paging (the store
 * as right after one page's unit) loses none and doubles none: the restart hands on the rest. A
 * session that lives on keeps the rest where it was, and a client back, or a new owner after a
 * move, in the middle of the paging gets it in order, with none that went.
 */
class SharedHandOnInPagesTest {
  private static final int PAGE = 2;
  private static final int LAST = 22;

  @RegisterExtension final StoredSessionFixture fixture = new StoredSessionFixture();
  private final DefaultEventLoop loop = fixture.loop;
  private final RecordingSessionStore store = fixture.store;
  /** Handed on and not yet written by the new holder (the loop's only). */
  private final List<Redelivery> unwritten = new ArrayList<>();
  /** The new holder's seqs. */
  private long otherSeq;

  private record Redelivery(Delivery d, DeliveryReceipt receipt) {}

  @Test
  void anEndingSessionHandsItsSharedDeliveriesOnDiskOnAPageAtATime() throws Exception {
    Session s = endingWithSharedOnDisk();
    assertHandedOnAPageAtATime(s);
    assertTrue(onLoop(s::isEnded));
    store.makeDurable();
    assertNull(store.session("c"));
    assertTrue(store.messages("c").isEmpty(), "left in the store: " + store.messages("c"));
  }

  @Test
  void aKillInTheMiddleOfThePagingLosesNoneAndDoublesNone() throws Exception {
    endingWithSharedOnDisk();
    for (int page = 0; page < 3; page++) {
      newHolderWrites(store);
      store.makeDurable();
      onLoop(() -> null);
    }
    store.keepAfterFirstMessageWrite();
    newHolderWrites(store); // the fourth page: the kill comes right after its unit
    RecordingSessionStore killed = store.afterFirstMessageWrite();
    assertNotNull(killed, "nothing left to hand on after three pages: not paged");
    List<Integer> before = killed.numbers("other");
    assertEquals(sharedNumbers().subList(0, before.size()), before);
    assertTrue(before.size() < sharedNumbers().size(), "all went in one unit: " + before);
    assertNotNull(killed.session("c"), "the session left the store with some not handed on");

    SessionRegistry restarted = fixture.registry(
        "mqtt.sessions.queue-memory-messages = " + PAGE, this::heldRedelivery, killed);
    SessionRecovery.run(killed, restarted, List.of(loop)); // its expiry is 0: it ends
    for (int i = 0; i < 100 && killed.session("c") != null; i++) {
      onLoop(() -> null);
      newHolderWrites(killed);
    }
    assertEquals(sharedNumbers(), killed.numbers("other"), "each once, in order, after the kill");
    assertNull(killed.session("c"));
    assertTrue(killed.messages("c").isEmpty(), "left in the store: " + killed.messages("c"));
  }

  @Test
  void aSessionWhoseConnectionEndsHandsItsSharedDeliveriesOnDiskOnAPageAtATime()
      throws Exception {
    Session s = withSharedOnDisk();
    disconnect(s, 60);
    assertHandedOnAPageAtATime(s);
    assertEquals(otherNumbers(), store.numbers("c"), "the rest stays where it was");

    FakeConnection back = new FakeConnection(loop);
    fixture.connect(s, back, false, null);
    letReadsThrough();
    assertEquals(otherNumbers(), onLoop(back::publishedNumbers), "in order, once each");
  }

  /**
   * A connection with Clean Start takes the session over: the old state ends first, its shared
   * deliveries handed on a page at a time as for a session that ends, and the connection attaches
   * once they are (Session Present 0), with none of the old state. Before, they were all read
   * onto the heap first.
   */
  @Test
  void aCleanStartHandsTheOldSharedDeliveriesOnDiskOnAPageAtATime() throws Exception {
    Session s = withSharedOnDisk();
    FakeConnection next = new FakeConnection(loop);
    List<Boolean> present = fixture.connect(s, next, true, null);
    assertHandedOnAPageAtATime(s);
    assertEquals(List.of(false), onLoop(() -> List.copyOf(present)));
    assertTrue(onLoop(next::publishedNumbers).isEmpty(), "the old state's messages came");
    store.makeDurable();
    assertTrue(store.messages("c").isEmpty(), "left in the store: " + store.messages("c"));
  }

  /**
   * Lets {@code s}'s hand-on run, each page's new holders writing their copies, and checks that
   * every shared delivery reached the other member once, in order, with never more than a page
   * on the heap or handed on and not yet safe.
   */
  private void assertHandedOnAPageAtATime(Session s) throws Exception {
    int mostOnHeap = 0;
    int mostUnwritten = 0;
    for (int i = 0; i < 100 && (store.waiting() > 0 || !unwrittenNow().isEmpty()); i++) {
      mostOnHeap = Math.max(mostOnHeap, onLoop(s::queuedInMemory));
      mostUnwritten = Math.max(mostUnwritten, unwrittenNow().size());
      newHolderWrites(store);
      store.makeDurable(); // lets the page read asked for through
      onLoop(() -> null);
    }
    assertEquals(sharedNumbers(), store.numbers("other"), "each once, in order");
    assertTrue(mostOnHeap <= PAGE, "queued on the heap at once: " + mostOnHeap);
    assertTrue(mostUnwritten <= PAGE, "handed on at once, not yet safe: " + mostUnwritten);
  }

  /**
   * A session with shared deliveries on disk, whose connection ended: the heap's two and the
   * pages (3, 4) to (7, 8) are with their new holders, the page (9, 10) handed on, its new
   * holder's copies not written.
   */
  private Session disconnectedWithAPageWithItsNewHolder() throws Exception {
    Session s = withSharedOnDisk();
    disconnect(s, 60);
    for (int page = 0; page < 4; page++) {
      newHolderWrites(store);
      store.makeDurable();
      onLoop(() -> null);
    }
    return s;
  }

  /**
   * The client is back while a page handed on is not written by its new holder yet, so its
   * entries are still in the store: the queue reads on from where it was, in order, passing over
   * them and over every shared delivery handed on before; what was not read yet is the client's.
   */
  @Test
  void aClientBackInTheMiddleOfThePagingGetsTheRestInOrderAndNoneThatWent() throws Exception {
    Session s = disconnectedWithAPageWithItsNewHolder();
    List<Integer> pending = onLoop(() -> unwritten.stream()
        .map(r -> (int) r.d().message().payload()[0]).toList());
    assertEquals(List.of(9, 10), pending, "the page with its new holder");
    assertTrue(store.numbers("c").containsAll(pending));

    FakeConnection back = new FakeConnection(loop);
    fixture.connect(s, back, false, null);
    letReadsThrough();
    newHolderWrites(store);
    letReadsThrough();
    List<Integer> gone = List.of(1, 2, 3, 5, 6, 7, 9, 10);
    assertEquals(gone, store.numbers("other"), "each once, in order");
    List<Integer> rest = IntStream.rangeClosed(1, LAST).boxed()
        .filter(n -> !gone.contains(n)).toList();
    assertEquals(rest, onLoop(back::publishedNumbers), "in order, once each, none that went");
  }

  /**
   * The session moves to another node while a page handed on is not written by its new holder
   * yet: the new owner, reading the backlog for itself, gets what was not handed on, in order, and
   * none that went (those of the page still in the store included).
   */
  @Test
  void aMoveInTheMiddleOfThePagingGivesTheNewOwnerTheRestAndNoneThatWent() throws Exception {
    Session s = disconnectedWithAPageWithItsNewHolder();
    assertTrue(store.numbers("c").containsAll(List.of(9, 10)), "the page with its new holder");

    CompletableFuture<HandOver> h = new CompletableFuture<>();
    fixture.inSession(s, () -> s.handOver(false, h));
    HandOver handed = h.get(5, TimeUnit.SECONDS);
    List<Integer> moved = new ArrayList<>(numbers(handed.state().queued()));
    BacklogCursor cursor = handed.backlog();
    for (boolean last = false; !last; ) {
      CompletableFuture<List<Integer>> page = new CompletableFuture<>();
      boolean[] end = new boolean[1];
      cursor.next(PAGE, (ds, done) -> {
        end[0] = done;
        page.complete(numbers(ds));
      }, page::completeExceptionally);
      store.makeDurable();
      moved.addAll(page.get(5, TimeUnit.SECONDS));
      last = end[0];
    }
    newHolderWrites(store);
    List<Integer> gone = List.of(1, 2, 3, 5, 6, 7, 9, 10);
    assertEquals(gone, store.numbers("other"));
    assertEquals(IntStream.rangeClosed(1, LAST).boxed().filter(n -> !gone.contains(n)).toList(),
        moved, "to the new owner, in order, once each, none that went");
  }

  /**
   * With {@code drop-oldest}, a message that finds the queue full while the hand-on keeps an older
   * entry on disk (the oldest, of no shared group) drops that one, counted: it leaves the store
   * once the hand-on is over, not only once a client is back to read it, so that a restart
   * meanwhile does not deliver it after all.
   */
  @Test
  void aMessageDroppedAsOldestMeanwhileLeavesTheStoreOnceTheHandOnIsOver() throws Exception {
    SessionRegistry registry = fixture.registry("""
        mqtt.sessions.queue-memory-messages = 2
        mqtt.sessions.max-queued-messages = 6
        mqtt.sessions.queue-overflow = drop-oldest""", this::heldRedelivery);
    FakeConnection c = new FakeConnection(loop);
    Session s = fixture.connected(registry, c);
    c.writable = false;
    onLoop(() -> {
      s.deliver(shared(1));
      s.deliver(shared(2));
      s.deliver(delivery(3)); // on disk, the oldest there, stays with the session
      for (int n = 4; n <= 6; n++) {
        s.deliver(shared(n));
      }
      return null;
    });
    store.hold();
    disconnect(s, 60);
    newHolderWrites(store); // 1 and 2, from the heap
    store.makeDurable(); // the page (3, 4) comes in: 3 stays, 4 goes
    onLoop(() -> null);
    assertEquals(List.of(3, 4, 5, 6), store.numbers("c"));
    onLoop(() -> {
      for (int n = 7; n <= 10; n++) {
        s.deliver(delivery(n)); // 10 finds 3, 5, 6, 7, 8, 9 queued: 3 gives way
      }
      return null;
    });
    for (int i = 0; i < 100 && (store.waiting() > 0 || !unwrittenNow().isEmpty()); i++) {
      newHolderWrites(store);
      store.makeDurable();
      onLoop(() -> null);
    }
    assertEquals(List.of(1, 2, 4, 5, 6), store.numbers("other"));

    RecordingSessionStore kept = store.copy(); // the node stops here, the client still away
    SessionRegistry restarted = fixture.registry(
        "mqtt.sessions.queue-memory-messages = 2", this::heldRedelivery, kept);
    SessionRecovery.run(kept, restarted, List.of(loop));
    FakeConnection back = new FakeConnection(loop);
    fixture.connect(onLoop(() -> restarted.get("c")), back, false, null);
    onLoop(() -> null);
    assertEquals(List.of(7, 8, 9, 10), onLoop(back::publishedNumbers),
        "a message dropped as the oldest came back with the restart");
  }

  /**
   * Session c, stored, its connection not reading: 1 and 2 on the heap, 3 to 22 only on disk,
   * every fourth of no shared group; then the connection ends with Session Expiry 0 (reads held
   * from then on).
   */
  private Session endingWithSharedOnDisk() throws Exception {
    Session s = withSharedOnDisk();
    disconnect(s, 0); // DISCONNECT with Session Expiry Interval 0
    return s;
  }

  /**
   * Session c, stored, its connection not reading: 1 and 2 on the heap, 3 to 22 only on disk,
   * every fourth of no shared group; reads held from then on.
   */
  private Session withSharedOnDisk() throws Exception {
    SessionRegistry registry =
        fixture.registry("mqtt.sessions.queue-memory-messages = " + PAGE, this::heldRedelivery);
    FakeConnection c = new FakeConnection(loop);
    Session s = fixture.connected(registry, c);
    c.writable = false;
    onLoop(() -> {
      for (int n = 1; n <= LAST; n++) {
        s.deliver(n % 4 == 0 ? delivery(n) : shared(n));
      }
      return null;
    });
    assertEquals(PAGE, onLoop(s::queuedInMemory));
    store.hold();
    return s;
  }

  /** Session {@code s}'s connection ends, its Session Expiry then {@code expiry}. */
  private void disconnect(Session s, long expiry) throws Exception {
    onLoop(() -> {
      s.setExpiryInterval(expiry);
      s.detach(s.connection, true);
      return null;
    });
  }

  private void letReadsThrough() throws Exception {
    for (int i = 0; i < 100 && store.waiting() > 0; i++) {
      store.makeDurable();
      onLoop(() -> null);
    }
    assertEquals(0, store.waiting(), "reads left");
  }

  /** A redelivery whose new holder writes its copy when the test says: {@link #newHolderWrites}. */
  private void heldRedelivery(Delivery d, String leaving, int hops, DeliveryReceipt receipt) {
    receipt.expect();
    unwritten.add(new Redelivery(d, receipt));
  }

  /** The new holder writes what it was given into {@code st}, under each receipt's hold. */
  private void newHolderWrites(RecordingSessionStore st) throws Exception {
    onLoop(() -> {
      List<Redelivery> now = List.copyOf(unwritten);
      unwritten.clear();
      for (Redelivery r : now) {
        st.addMessage("other", ++otherSeq, r.d(), r.receipt().hold());
        r.receipt().taken(true);
      }
      return null;
    });
  }

  private List<Redelivery> unwrittenNow() throws Exception {
    return onLoop(() -> List.copyOf(unwritten));
  }

  private static List<Integer> sharedNumbers() {
    return IntStream.rangeClosed(1, LAST).filter(n -> n % 4 != 0).boxed().toList();
  }

  private static List<Integer> otherNumbers() {
    return IntStream.rangeClosed(1, LAST).filter(n -> n % 4 == 0).boxed().toList();
  }

  private static List<Integer> numbers(List<Delivery> ds) {
    return ds.stream().map(d -> (int) d.message().payload()[0]).toList();
  }

  private static Delivery delivery(int n) {
    return StoredSessionFixture.delivery(n, 1);
  }

  private <T> T onLoop(Callable<T> task) throws Exception {
    return fixture.onLoop(task);
  }
}

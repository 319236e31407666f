package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.metrics.DropReason;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A stored session asked to move to another node while part of its queue lies only on disk does
 * not read that part: it freezes at once with what its heap holds as the state to send, and the
 * rest is read a page at a time for the new owner ({@link BacklogCursor}), so a large session
 * moves with bounded memory. A move that does not happen puts everything back as it froze, ahead
 * of what queued meanwhile, with the entries the store kept all along. The store holds each page
 * read until the test lets it through ({@link RecordingSessionStore#hold}), so "not read yet" is
 * a state the test sees.
 */
class HandOverBacklogTest {
  @RegisterExtension final StoredSessionFixture fixture = new StoredSessionFixture();
  private final DefaultEventLoop loop = fixture.loop;
  private final RecordingSessionStore store = fixture.store;

  private record PageRead(List<Integer> numbers, boolean last) {}

  private final List<Integer> redelivered = new ArrayList<>();

  @Test
  void aMoveHandsOverAtOnceAndItsBacklogIsReadPageByPageWithoutWhatQueuedMeanwhile()
      throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = withBacklog(c);
    HandOver handed = freeze(s);
    assertEquals(0, store.pageReads(), "the backlog was read before the hand-over");
    assertEquals(List.of(1, 2), numbers(handed.state().queued()), "what the heap held");
    assertEquals(List.of(ReasonCode.SESSION_TAKEN_OVER), onLoop(() -> List.copyOf(c.closes)));

    onLoop(() -> {
      s.deliver(delivery(6)); // while frozen: it follows the session once the move is confirmed
      return null;
    });
    BacklogCursor cursor = handed.backlog();
    assertEquals(new PageRead(List.of(3, 4), false), read(cursor, 2));
    assertEquals(new PageRead(List.of(5), true), read(cursor, 2));
  }

  /**
   * What queued while the session was frozen outgrew the heap's share, so part of it lies only on
   * disk when the new owner confirms: the heap part goes at once, the rest a page at a time as it
   * is read off the event loop, the session staying as frozen meanwhile (what reaches it queues
   * behind), and then the session only redirects.
   */
  @Test
  void whatQueuedOnDiskWhileFrozenIsReadOffTheLoopAtTheConfirmationThenFollowsInOrder()
      throws Exception {
    Session s = withBacklog(new FakeConnection(loop));
    HandOver handed = frozenWhileSixToNineArrive(s);
    assertEquals(2, onLoop(s::queuedInMemory));
    fixture.inSession(s, () -> handed.confirm("n2"));
    assertEquals(0, store.pageReads(), "the disk was read on the session's event loop");
    assertEquals(List.of("n2:6:1", "n2:7:1"),
        onLoop(() -> List.copyOf(fixture.cluster.redirects)), "the heap part goes at once");
    assertFalse(onLoop(s::isMoved));

    onLoop(() -> {
      s.deliver(delivery(10)); // arrives during the read: behind what is on disk
      return null;
    });
    readAll();
    assertEquals(List.of("n2:6:1", "n2:7:1", "n2:8:1", "n2:9:1", "n2:10:1"),
        onLoop(() -> List.copyOf(fixture.cluster.redirects)));
    assertTrue(onLoop(s::isMoved));
    onLoop(() -> {
      s.deliver(delivery(11)); // after: redirected at once
      return null;
    });
    assertEquals("n2:11:1", onLoop(() -> fixture.cluster.redirects.get(5)));
  }

  /**
   * The client comes back here while a confirmed session reads what queued on disk while it was
   * frozen: it attaches once the session has left with all of it (a redirect left behind is no
   * session), so the new owner still gets every message, in order, and the connection here starts
   * clean.
   */
  @Test
  void aClientBackWhileTheConfirmationReadsSendsWhatQueuedToTheNewOwnerAndStartsClean()
      throws Exception {
    Session s = withBacklog(new FakeConnection(loop));
    HandOver handed = frozenWhileSixToNineArrive(s);
    fixture.inSession(s, () -> handed.confirm("n2"));
    FakeConnection here = new FakeConnection(loop);
    List<Boolean> present = fixture.connect(s, here, false, null);
    assertEquals(0, store.pageReads(), "the disk was read on the session's event loop");
    readAll();
    assertEquals(List.of(false), onLoop(() -> List.copyOf(present)),
        "the session had moved to n2");
    assertEquals(List.of("n2:6:1", "n2:7:1", "n2:8:1", "n2:9:1"),
        onLoop(() -> List.copyOf(fixture.cluster.redirects)));
    assertTrue(onLoop(here::publishedNumbers).isEmpty());
    assertFalse(onLoop(s::isMoved));
  }

  /**
   * A connection here gets state back from the cluster while the session is frozen for a move
   * and what queued meanwhile lies partly on disk only: it attaches once that is read off the
   * event loop, and what queued goes after the state, in order.
   */
  @Test
  void stateArrivingForASessionFrozenHereAttachesOnceWhatQueuedOnDiskIsReadOffTheLoop()
      throws Exception {
    Session s = withBacklog(new FakeConnection(loop));
    HandOver handed = frozenWhileSixToNineArrive(s);
    FakeConnection here = new FakeConnection(loop);
    // The state the cluster gives back: here, what the heap held as it froze.
    List<Boolean> present = fixture.connect(s, here, false, handed.state());
    assertEquals(0, store.pageReads(), "the disk was read on the session's event loop");
    assertTrue(onLoop(() -> List.copyOf(present)).isEmpty(), "attached before the read");
    readAll();
    assertEquals(List.of(true), onLoop(() -> List.copyOf(present)));
    assertEquals(List.of(1, 2, 6, 7, 8, 9), onLoop(here::publishedNumbers));
  }

  /**
   * As above, and a clean start comes here while that attach waits for the read: it does not
   * overtake it (settling the freeze, so that the earlier attach would find no state to take what
   * queued meanwhile after and drop it). The connections attach in the order they came: the
   * earlier one gets the state and what queued while frozen, the later one takes the session over
   * and starts clean, handing the shared deliveries on.
   */
  @Test
  void aCleanStartBehindAnAttachWaitingWithStateAttachesAfterItAndLosesNothing()
      throws Exception {
    Session s = withSharedBacklog();
    HandOver handed = freeze(s);
    onLoop(() -> {
      for (int n = 6; n <= 9; n++) { // while frozen: 6 and 7 on the heap, 8 and 9 only on disk
        s.deliver(StoredSessionFixture.shared(n));
      }
      return null;
    });
    FakeConnection first = new FakeConnection(loop);
    List<Boolean> firstPresent = fixture.connect(s, first, false, handed.state());
    FakeConnection second = new FakeConnection(loop);
    List<Boolean> secondPresent = fixture.connect(s, second, true, null);
    readAll();
    readAll();
    assertEquals(List.of(true), onLoop(() -> List.copyOf(firstPresent)));
    assertEquals(List.of(false), onLoop(() -> List.copyOf(secondPresent)));
    assertEquals(List.of(1, 2, 6, 7, 8, 9), onLoop(first::publishedNumbers),
        "the earlier connection gets the state and what queued while frozen");
    assertEquals(List.of(1, 6, 7, 8, 9), onLoop(() -> List.copyOf(redelivered)),
        "the clean start hands the shared deliveries on");
    assertEquals(List.of(ReasonCode.SESSION_TAKEN_OVER), onLoop(() -> List.copyOf(first.closes)));
    assertTrue(onLoop(() -> second.closes.isEmpty()), "the later connection keeps the session");
  }

  @Test
  void anAbortedMovePutsTheBacklogBackAheadOfWhatQueuedMeanwhileWithItsEntries()
      throws Exception {
    Session s = withBacklog(new FakeConnection(loop));
    HandOver handed = freeze(s);
    onLoop(() -> {
      s.deliver(delivery(6));
      s.deliver(delivery(7));
      return null;
    });
    fixture.inSession(s, () -> SessionMove.aborted(s, handed));
    assertEquals(1, store.calls("writeSession", "c").size(),
        "written again, though every entry stayed in the store under its seq");

    FakeConnection back = new FakeConnection(loop);
    fixture.connectInSession(s, back);
    readAll();
    assertEquals(List.of(1, 2, 3, 4, 5, 6, 7), onLoop(back::publishedNumbers));
    List<Integer> ids = onLoop(back::publishedIds);
    fixture.inSession(s, () -> ids.forEach(s::onPubAck));
    store.makeDurable();
    assertEquals(0, store.messages("c").size(),
        "acknowledged entries still on disk (a restart brings them back): " + store.messages("c"));
  }

  /**
   * A session frozen for a move holds 1 to 5 (1 and 2 on the heap, 3 to 5 only on disk) under a
   * bound of 5 messages: what arrives while it is frozen finds the queue full, the frozen part
   * counting, and is dropped (drop-new), counted. The move is aborted: the session holds its 5,
   * within the bound. Before, the flow counted only what arrived meanwhile, and the aborted move
   * put both parts together: 9 queued.
   */
  @Test
  void whatArrivesWhileFrozenCountsTheFrozenPartOnDiskTooAgainstTheBound() throws Exception {
    Session s = holding(
        fixture.registry(
            "mqtt.sessions { queue-memory-messages = 2, max-queued-messages = 5 }"),
        new FakeConnection(loop),
        n -> false);
    HandOver handed = frozenWhileSixToNineArrive(s);
    assertEquals(4, s.context.metrics().drops(DropReason.QUEUE_FULL));
    fixture.inSession(s, () -> SessionMove.aborted(s, handed));
    assertEquals(5, onLoop(s::queuedCount));

    FakeConnection back = new FakeConnection(loop);
    fixture.connectInSession(s, back);
    readAll();
    assertEquals(List.of(1, 2, 3, 4, 5), onLoop(back::publishedNumbers));
  }

  @Test
  void aYieldReadsTheBacklogOffTheLoopThenRedirectsTheWholeQueueInOrder() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = withBacklog(c);
    fixture.inSession(s, () -> s.yieldTo("n3")); // a healed partition found a later owner
    assertEquals(0, store.pageReads(), "the disk was read on the session's event loop");
    assertEquals(List.of("n3:1:1", "n3:2:1"),
        onLoop(() -> List.copyOf(fixture.cluster.redirects)), "the heap part goes at once");
    assertFalse(onLoop(s::isMoved));
    assertEquals(List.of(ReasonCode.SESSION_TAKEN_OVER), onLoop(() -> List.copyOf(c.closes)));

    onLoop(() -> {
      s.deliver(delivery(6)); // arrives during the read: behind what is on disk
      return null;
    });
    readAll();
    assertEquals(List.of("n3:1:1", "n3:2:1", "n3:3:1", "n3:4:1", "n3:5:1", "n3:6:1"),
        onLoop(() -> List.copyOf(fixture.cluster.redirects)));
    assertTrue(onLoop(s::isMoved));
  }

  /**
   * Another node's claim comes while a yield hands the backlog on a page at a time: the session
   * is leaving, so the claim waits, as on a frozen session, and is answered once it has left:
   * nothing here (the claimer gets the state from the node it went to, which has all of it).
   */
  @Test
  void aClaimWhileAYieldHandsOnWaitsAndFindsTheSessionGone() throws Exception {
    Session s = withBacklog(new FakeConnection(loop));
    CompletableFuture<HandOver> claimed = new CompletableFuture<>();
    fixture.inSession(s, () -> {
      s.yieldTo("n3");
      s.handOver(false, claimed); // another node's claim while the yield hands on
    });
    assertFalse(claimed.isDone(), "answered while the yield handed on");
    readAll();
    assertNull(claimed.get(5, TimeUnit.SECONDS));
    assertEquals(List.of("n3:1:1", "n3:2:1", "n3:3:1", "n3:4:1", "n3:5:1"),
        onLoop(() -> List.copyOf(fixture.cluster.redirects)));
    assertTrue(onLoop(s::isMoved));
  }

  @Test
  void aConnectionAttachingWhileFrozenTakesTheSessionBackWithItsBacklog() throws Exception {
    Session s = withBacklog(new FakeConnection(loop));
    CompletableFuture<HandOver> claimed = new CompletableFuture<>();
    fixture.inSession(s, () -> s.handOver(false, claimed));
    HandOver handed = claimed.get(5, TimeUnit.SECONDS);
    FakeConnection here = new FakeConnection(loop);
    fixture.connectInSession(s, here); // its claim won against the one frozen for
    readAll();
    assertTrue(onLoop(() -> here.closes.isEmpty()), "the connection that won was taken over");
    assertEquals(List.of(1, 2, 3, 4, 5), onLoop(here::publishedNumbers));
    fixture.inSession(s, () -> SessionMove.confirmed(s, handed, "n2"));
    assertFalse(onLoop(s::isMoved), "a late answer to the claim that lost moved the session");
    assertNull(onLoop(() -> s.isEnded() ? "ended" : null));
  }

  /**
   * A clean start on another node ends the session here, answered at once (none to hand over):
   * its shared deliveries go to other members, those on the heap at once, those on disk as they
   * are read off the loop, and the session is over meanwhile (another claim finds none).
   */
  @Test
  void aCleanStartElsewhereEndsTheSessionAtOnceAndHandsOnTheSharedDeliveriesOnDiskAsRead()
      throws Exception {
    Session s = withSharedBacklog();
    CompletableFuture<HandOver> answer = new CompletableFuture<>();
    fixture.inSession(s, () -> s.handOver(true, answer));
    assertTrue(answer.isDone(), "the claimer waits for the shared deliveries to be handed on");
    assertNull(answer.get(5, TimeUnit.SECONDS));
    assertEquals(List.of(1), onLoop(() -> List.copyOf(redelivered)));
    assertTrue(onLoop(s::isEnding));
    readAll();
    assertEquals(List.of(1, 3, 5), onLoop(() -> List.copyOf(redelivered)));
    assertTrue(onLoop(s::isEnded));
  }

  /**
   * A connection here after a clean start elsewhere (whose claim came first) waits for the old
   * session's shared deliveries to be handed on and finds no session: none of the old state.
   */
  @Test
  void aConnectionAttachingWhileACleanStartElsewhereHandsOnFindsNoSession() throws Exception {
    Session s = withSharedBacklog();
    CompletableFuture<HandOver> answer = new CompletableFuture<>();
    fixture.inSession(s, () -> s.handOver(true, answer));
    FakeConnection here = new FakeConnection(loop);
    List<Boolean> present = fixture.connectInSession(s, here);
    assertTrue(onLoop(() -> List.copyOf(present)).isEmpty(), "attached before the hand-on");
    readAll();
    assertEquals(List.of(false), onLoop(() -> List.copyOf(present)));
    assertEquals(List.of(1, 3, 5), onLoop(() -> List.copyOf(redelivered)));
    assertTrue(onLoop(here::publishedNumbers).isEmpty(), "the old state's messages came");
  }

  /**
   * A connection with clean start attaches here while the session is frozen for a move whose
   * frozen backlog holds shared deliveries on disk: its claim won, so the freeze is settled (a
   * late confirmation of the move changes nothing), and the old state's shared deliveries, which
   * go to other members as it starts clean, are handed on as they are read off the event loop;
   * the attach runs once they are. Before, the attach read them on the session's event loop.
   */
  @Test
  void aCleanStartHereWhileFrozenReadsTheFrozenSharedDeliveriesOnDiskOffTheLoop()
      throws Exception {
    Session s = withSharedBacklog();
    HandOver handed = freeze(s);
    FakeConnection here = new FakeConnection(loop);
    List<Boolean> attached = fixture.connect(s, here, true, null);
    assertEquals(0, store.pageReads(), "the disk was read on the session's event loop");
    assertTrue(onLoop(() -> List.copyOf(attached)).isEmpty(), "attached before the read");
    assertEquals(List.of(1), onLoop(() -> List.copyOf(redelivered)), "the heap's at once");

    readAll();
    assertEquals(List.of(false), onLoop(() -> List.copyOf(attached)), "CONNACK: no session");
    assertEquals(List.of(1, 3, 5), onLoop(() -> List.copyOf(redelivered)));
    assertTrue(onLoop(() -> here.closes.isEmpty()), "the connection that won was taken over");
    fixture.inSession(s, () -> SessionMove.confirmed(s, handed, "n2"));
    assertFalse(onLoop(s::isMoved), "a late answer to the claim that lost moved the session");
    onLoop(() -> {
      s.deliver(delivery(9));
      return null;
    });
    assertEquals(List.of(9), onLoop(here::publishedNumbers), "the old state's messages came");
  }

  /**
   * As above, the shared deliveries being among what queued on disk while the session was frozen
   * (the frozen backlog holds none): the freeze is settled first too, and the old state hands them
   * on as they are read off the loop, then the attach runs; meanwhile it is over, and a message of
   * no shared group reaching it is dropped, counted (not queued for the end to drop uncounted),
   * and a late confirmation of the claim that lost moves nothing.
   */
  @Test
  void aCleanStartHereWhileFrozenHandsOnTheSharedDeliveriesThatQueuedOnDiskMeanwhile()
      throws Exception {
    Session s = holding(fixture.registry(
            "mqtt.sessions.queue-memory-messages = 2",
            (d, id, hops, r) -> redelivered.add((int) d.message().payload()[0])),
        new FakeConnection(loop), n -> false);
    HandOver handed = freeze(s);
    onLoop(() -> {
      for (int n = 6; n <= 9; n++) { // while frozen: 6 and 7 on the heap, 8 and 9 only on disk
        s.deliver(StoredSessionFixture.shared(n));
      }
      return null;
    });
    FakeConnection here = new FakeConnection(loop);
    List<Boolean> attached = fixture.connect(s, here, true, null);
    assertEquals(0, store.pageReads(), "the disk was read on the session's event loop");
    assertTrue(onLoop(() -> List.copyOf(attached)).isEmpty(), "attached before the read");
    long ended = onLoop(() -> s.context.metrics().drops(DropReason.SESSION_ENDED));
    onLoop(() -> {
      s.deliver(delivery(10));
      return null;
    });
    assertEquals(ended + 1, onLoop(() -> s.context.metrics().drops(DropReason.SESSION_ENDED)));
    fixture.inSession(s, () -> SessionMove.confirmed(s, handed, "n2"));

    readAll();
    assertTrue(onLoop(() -> List.copyOf(fixture.cluster.redirects)).isEmpty(),
        "the claim that lost moved the old state as it ended");
    assertEquals(List.of(false), onLoop(() -> List.copyOf(attached)), "CONNACK: no session");
    assertEquals(List.of(6, 7, 8, 9), onLoop(() -> List.copyOf(redelivered)));
    assertTrue(onLoop(here::publishedNumbers).isEmpty(), "the old state's messages came");
  }

  /**
   * An administrator discards a session while it is frozen for a move: its entries stay in the
   * store while they are read for the new owner (which gets the whole backlog), and the session
   * ends here only if the move does not happen.
   */
  @Test
  void aSessionDiscardedWhileFrozenKeepsItsBacklogForTheMoveAndEndsIfTheMoveIsAborted()
      throws Exception {
    Session s = withBacklog(new FakeConnection(loop));
    HandOver handed = freeze(s);
    fixture.inSession(s, () -> s.kick(true));
    BacklogCursor cursor = handed.backlog();
    assertEquals(new PageRead(List.of(3, 4), false), read(cursor, 2));
    assertEquals(new PageRead(List.of(5), true), read(cursor, 2));
    assertFalse(onLoop(s::isEnded));

    fixture.inSession(s, () -> SessionMove.aborted(s, handed));
    store.makeDurable();
    assertTrue(onLoop(s::isEnded), "discarded, and the move did not happen");
    assertTrue(store.messages("c").isEmpty(), "left in the store: " + store.messages("c"));
  }

  /**
   * A healed partition found this client here and on an older owner, which now redirects here
   * what it held: the session here drops second copies of what it holds without reading its disk
   * for it. What lies only on disk is checked as it comes back, in order, and so is what queues
   * behind it meanwhile, so the client gets every message once, in order, and the heap part stays
   * at queue-memory-messages.
   */
  @Test
  void aLaterOwnerExpectingRedirectsReadsNothingAndDropsSecondCopiesOfWhatIsOnDisk()
      throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = withIdentifiedBacklog(c);
    fixture.inSession(s, s::expectRedirects);
    assertEquals(0, store.pageReads(), "the disk was read on the session's event loop");
    assertEquals(2, onLoop(s::queuedInMemory));

    onLoop(() -> {
      // The older owner's copies of 2 (on the heap here) and 4 (on disk), and a new one.
      s.deliverRedirected(identified(2), 1, 0, null);
      s.deliverRedirected(identified(4), 1, 0, null);
      s.deliverRedirected(identified(6), 1, 0, null);
      c.writable = true;
      s.onWritable(c);
      return null;
    });
    readAll();
    assertEquals(List.of(1, 2, 3, 4, 5, 6), onLoop(c::publishedNumbers), "once each, in order");
    assertEquals(0, onLoop(s::queuedCount));
  }

  /**
   * As above, the older owner's copies being for other subscriptions too: a copy of a message on
   * the heap or on disk here for a shared subscription is the client's own (MQTT 5 4.8.2) and is
   * sent behind what is on disk; a second copy of it, or of the non-shared one, is dropped.
   */
  @Test
  void aLaterOwnerExpectingRedirectsSendsACopyPerSubscriptionOfWhatIsOnDisk() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = withIdentifiedBacklog(c);
    fixture.inSession(s, s::expectRedirects);

    onLoop(() -> {
      s.deliverRedirected(identified(2, "$share/g/t"), 1, 0, null); // owed (2 is on the heap)
      s.deliverRedirected(identified(4, "$share/g/t"), 1, 0, null); // owed (4 is on disk)
      s.deliverRedirected(identified(4), 1, 0, null); // second copies from here on
      s.deliverRedirected(identified(4, "$share/g/t"), 1, 0, null);
      s.deliverRedirected(identified(2, "$share/g/t"), 1, 0, null);
      c.writable = true;
      s.onWritable(c);
      return null;
    });
    readAll();
    assertEquals(List.of(1, 2, 3, 4, 5, 2, 4), onLoop(c::publishedNumbers));
    assertEquals(0, onLoop(s::queuedCount));
  }

  /**
   * As above, the client subscribing again meanwhile: the retained message sent for that
   * SUBSCRIBE (MQTT 5 3.3.1.3) is made here for it, never a second copy of the routed one on
   * disk, so it goes behind what is on disk, passes the check as it comes back, with RETAIN set,
   * and is not recorded: the older owner's second copy behind it is still dropped. Before, the
   * read-back check dropped it, counted {@code duplicate}.
   */
  @Test
  void aRetainedMessageSentOnSubscribeBehindWhatIsOnDiskPassesTheCheckAsItComesBack()
      throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = withIdentifiedBacklog(c);
    fixture.inSession(s, s::expectRedirects);
    onLoop(() -> {
      s.deliver(Delivery.retainedOnSubscribe(identified(4).message(), 1, new int[0]));
      s.deliverRedirected(identified(4), 1, 0, null);
      c.writable = true;
      s.onWritable(c);
      return null;
    });
    readAll();
    assertEquals(List.of(1, 2, 3, 4, 5, 4), onLoop(c::publishedNumbers));
    assertEquals(List.of(false, false, false, false, false, true), onLoop(c::publishedRetains));
    assertEquals(1, onLoop(() -> s.context.metrics().drops(DropReason.DUPLICATE)));
    assertEquals(0, onLoop(s::queuedCount));
  }

  /**
   * As above, but the session is frozen for a move when the partition heals, and the move is then
   * aborted: the older owner's copies queued behind the frozen backlog meanwhile, and the window
   * opens as the session thaws, over the heap part and, as it comes back, the disk.
   */
  @Test
  void aLaterOwnerFrozenForAMoveThatIsAbortedDropsSecondCopiesOfWhatIsOnDisk()
      throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = withIdentifiedBacklog(c);
    HandOver handed = freeze(s);
    fixture.inSession(s, s::expectRedirects);
    onLoop(() -> {
      // The older owner's copies of 2 (on the heap, frozen) and 4 (on disk), and a new one.
      s.deliverRedirected(identified(2), 1, 0, null);
      s.deliverRedirected(identified(4), 1, 0, null);
      s.deliverRedirected(identified(6), 1, 0, null);
      return null;
    });
    fixture.inSession(s, () -> SessionMove.aborted(s, handed));
    assertEquals(0, store.pageReads(), "the disk was read on the session's event loop");

    FakeConnection back = new FakeConnection(loop);
    fixture.inSession(s, () -> {
      Session.PENDING_ATTACHES.incrementAndGet(s);
      s.attach(back, false, 60, null, null, 0);
      s.resumeDelivery();
    });
    readAll();
    assertEquals(List.of(1, 2, 3, 4, 5, 6), onLoop(back::publishedNumbers), "once each, in order");
    assertEquals(0, onLoop(s::queuedCount));
  }

  /**
   * A stored session with a connection that takes nothing, holding 1 to 5 queued: 1 and 2 on the
   * heap, 3 to 5 only on disk; page reads held from then on.
   */
  private Session withBacklog(FakeConnection c) throws Exception {
    return holding(fixture.registry("mqtt.sessions.queue-memory-messages = 2"), c, n -> false);
  }

  /**
   * As {@link #withBacklog}, the odd ones shared-subscription deliveries; what the session hands
   * on to other members is noted in {@link #redelivered}.
   */
  private Session withSharedBacklog() throws Exception {
    return holding(fixture.registry(
            "mqtt.sessions.queue-memory-messages = 2",
            (d, id, hops, r) -> redelivered.add((int) d.message().payload()[0])),
        new FakeConnection(loop), n -> n % 2 == 1);
  }

  /** As {@link #withBacklog}, each message as node n1 accepted it ({@link #identified}). */
  private Session withIdentifiedBacklog(FakeConnection c) throws Exception {
    Session s = queuedOneToFive(fixture.registry("mqtt.sessions.queue-memory-messages = 2"), c,
        HandOverBacklogTest::identified);
    store.hold();
    return s;
  }

  private Session holding(SessionRegistry registry, FakeConnection c, IntPredicate shared)
      throws Exception {
    Session s = queuedOneToFive(
        registry, c, n -> shared.test(n) ? StoredSessionFixture.shared(n) : delivery(n));
    assertEquals(2, onLoop(s::queuedInMemory));
    store.hold();
    return s;
  }

  /** Session c of {@code registry} on {@code c}, which takes nothing, given messages 1 to 5. */
  private Session queuedOneToFive(
      SessionRegistry registry, FakeConnection c, IntFunction<Delivery> message) throws Exception {
    Session s = fixture.connected(registry, c);
    c.writable = false;
    onLoop(() -> {
      for (int n = 1; n <= 5; n++) {
        s.deliver(message.apply(n));
      }
      return null;
    });
    return s;
  }

  /** One page of {@code cursor}, its read let through. */
  private PageRead read(BacklogCursor cursor, int limit) throws Exception {
    CompletableFuture<PageRead> page = new CompletableFuture<>();
    cursor.next(limit, (ds, last) -> page.complete(new PageRead(numbers(ds), last)),
        page::completeExceptionally);
    store.makeDurable();
    return page.get(5, TimeUnit.SECONDS);
  }

  /**
   * Lets the page reads through, one after another (each next one is asked for as a task), and
   * the links' journal writes of what is redirected (a page handed on, the next read only then).
   */
  private void readAll() throws Exception {
    for (int i = 0; i < 20 && (store.waiting() > 0 || onLoop(fixture.cluster::receipts) > 0); i++) {
      onLoop(() -> {
        fixture.cluster.journaled();
        return null;
      });
      store.makeDurable();
      onLoop(() -> null);
    }
    assertEquals(0, store.waiting());
  }

  private static List<Integer> numbers(List<Delivery> ds) {
    return ds.stream().map(d -> (int) d.message().payload()[0]).toList();
  }

  /** Message {@code n} as node n1 accepted it (a second copy is known by that). */
  private static Delivery identified(int n) {
    return identified(n, null);
  }

  /** {@link #identified(int)} as a delivery for shared subscription {@code group} (null: none). */
  private static Delivery identified(int n, String group) {
    return new Delivery(
        delivery(n).message().identified("n1", n), 1, false, new int[0], group);
  }

  private static Delivery delivery(int n) {
    return StoredSessionFixture.delivery(n, 1);
  }

  /**
   * Freezes {@code s} for a move; 6 to 9 then queue: 6 and 7 on the heap, 8 and 9 only on disk.
   * Returns the hand-over.
   */
  private HandOver frozenWhileSixToNineArrive(Session s) throws Exception {
    HandOver handed = freeze(s);
    onLoop(() -> {
      for (int n = 6; n <= 9; n++) {
        s.deliver(delivery(n));
      }
      return null;
    });
    return handed;
  }

  /** Freezes {@code s} for a move, as a task of the session; returns the hand-over. */
  private HandOver freeze(Session s) throws Exception {
    CompletableFuture<HandOver> h = new CompletableFuture<>();
    fixture.inSession(s, () -> s.handOver(false, h));
    return h.get(5, TimeUnit.SECONDS);
  }

  private <T> T onLoop(Callable<T> task) throws Exception {
    return fixture.onLoop(task);
  }
}

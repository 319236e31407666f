package io.simqtt.core.session;

import static io.simqtt.core.session.StoredSessionFixture.shared;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.message.Message;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.topic.SubscriptionOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A stored session that hands shared deliveries on while some of them lie only on disk (its
 * connection ended, it ends, a clean start) reads the disk on the store's reader side, not on its
 * event loop, and goes on as a session task once the last page is in; what arrives meanwhile
 * queues behind, in order. The store holds each page read until the test lets
 * it through ({@link RecordingSessionStore#hold}), so "not read yet" is a state the test sees.
 */
class BacklogReadOffLoopTest {
  private static final SubscriptionOptions QOS1 = new SubscriptionOptions(1, false, false, 0, 0);

  @RegisterExtension final StoredSessionFixture fixture = new StoredSessionFixture();
  private final DefaultEventLoop loop = fixture.loop;
  private final RecordingSessionStore store = fixture.store;
  private final List<Integer> redelivered = new ArrayList<>();

  @Test
  void sharedDeliveriesOnDiskAreHandedOnAsTheyAreReadOffTheLoopAndTheRestKeepsItsOrder()
      throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = fixture.connected(sharedToOthers(), c);
    c.writable = false; // everything queues: 1 and 2 on the heap, 3 to 5 only on disk
    onLoop(() -> {
      s.deliver(shared(1));
      s.deliver(delivery(2));
      s.deliver(shared(3));
      s.deliver(delivery(4));
      s.deliver(shared(5));
      return null;
    });
    assertEquals(2, onLoop(s::queuedInMemory));
    store.hold();
    onLoop(() -> {
      s.detach(c, true);
      return null;
    });
    assertEquals(0, store.pageReads(), "the disk was read on the session's event loop");
    assertEquals(List.of(1), onLoop(() -> List.copyOf(redelivered)),
        "those on the heap go at once, those on disk once read");
    assertEquals(4, onLoop(s::queuedCount), "the rest of the queue is whole meanwhile");

    onLoop(() -> {
      s.deliver(delivery(6)); // arrives during the read: behind what is on disk
      return null;
    });
    letReadsThrough(store);
    assertEquals(0, store.waiting());
    assertEquals(List.of(1, 3, 5), onLoop(() -> List.copyOf(redelivered)));
    assertEquals(List.of(2, 4, 6), store.numbers("c"), "the shared entries left the store");

    FakeConnection back = new FakeConnection(loop);
    back.writable = false;
    fixture.connect(s, back, false, null);
    drainTo(s, back); // 4 and 6 stayed on disk, where they were
    assertEquals(List.of(2, 4, 6), onLoop(back::publishedNumbers), "in order, once each");
  }

  /**
   * The client comes back while the disconnect's hand-on of the shared deliveries on disk is under
   * way: it stops (those not read yet stay with the session that has its client again), a page on
   * its way is ignored, and the queue pages as before: at most queue-memory-messages on the heap,
   * everything not handed on reaching the client once each, in order.
   */
  @Test
  void aClientBackDuringTheHandOnStopsItAndTheQueuePagesAsBefore() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = fixture.connected(sharedToOthers(), c);
    c.writable = false; // 1 and 2 on the heap, 3 to 8 only on disk
    onLoop(() -> {
      s.deliver(shared(1));
      s.deliver(delivery(2));
      s.deliver(shared(3));
      for (int n = 4; n <= 8; n++) {
        s.deliver(delivery(n));
      }
      return null;
    });
    store.hold();
    onLoop(() -> {
      s.detach(c, true);
      return null;
    });
    store.makeDurable(); // the first page (3, 4) comes in; the next is asked for
    onLoop(() -> null);
    assertEquals(List.of(1, 3), onLoop(() -> List.copyOf(redelivered)), "the hand-on is under way");
    assertEquals(1, onLoop(s::queuedInMemory), "what stays of the page joined the heap");

    FakeConnection back = new FakeConnection(loop);
    back.writable = false;
    fixture.connect(s, back, false, null);
    letReadsThrough(store);
    assertEquals(2, onLoop(s::queuedInMemory), "queue-memory-messages on the heap, no more");
    assertEquals(6, onLoop(s::queuedCount));
    assertEquals(List.of(1, 3), onLoop(() -> List.copyOf(redelivered)),
        "handed on though the client is back");

    drainTo(s, back);
    assertEquals(List.of(2, 4, 5, 6, 7, 8), onLoop(back::publishedNumbers),
        "in order, once each, none that went");
  }

  @Test
  void anExpiringSessionReadsItsSharedDeliveriesOnDiskOffTheLoopThenHandsThemOn()
      throws Exception {
    Session s = offlineWithSharedOnDisk(sharedToOthers());
    assertEquals(2, onLoop(s::queuedInMemory));
    store.hold();
    fixture.clock.advance(60_000); // its expiry is due
    onLoop(() -> null);
    assertEquals(0, store.pageReads(), "the disk was read on the session's event loop");
    assertEquals(List.of(2), onLoop(() -> List.copyOf(redelivered)),
        "those on the heap go at once, those on disk once read");
    assertFalse(onLoop(s::isEnded), "ended before its shared deliveries on disk were read");

    letReadsThrough(store);
    assertEquals(List.of(2, 3, 5), onLoop(() -> List.copyOf(redelivered)));
    assertTrue(onLoop(s::isEnded));
  }

  /**
   * A client reconnects to its stored session asking for Session Expiry 0: the session stays
   * stored until that connection ends (as when a DISCONNECT turns its expiry to 0), so nothing is
   * read: its queue beyond queue-memory-messages stays on disk and pages to the client as before,
   * and the session leaves the store as its connection ends.
   */
  @Test
  void aReconnectWithExpiryZeroLeavesTheQueueOnDiskAndItPagesToTheClient() throws Exception {
    SessionRegistry registry = fixture.registry("mqtt.sessions.queue-memory-messages = 2");
    FakeConnection c = new FakeConnection(loop);
    Session s = fixture.connected(registry, c);
    c.writable = false; // 1 and 2 on the heap, 3 to 8 only on disk
    onLoop(() -> {
      for (int n = 1; n <= 8; n++) {
        s.deliver(delivery(n));
      }
      s.detach(c, true);
      return null;
    });
    store.hold();

    FakeConnection back = new FakeConnection(loop);
    back.writable = false;
    fixture.connect(s, back, false, 0, null);
    assertEquals(0, store.pageReads(), "the disk was read on the session's event loop");
    assertEquals(2, onLoop(s::queuedInMemory), "queue-memory-messages on the heap, no more");
    assertEquals(8, onLoop(s::queuedCount));

    drainTo(s, back);
    assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8), onLoop(back::publishedNumbers),
        "in order, once each");
    onLoop(() -> {
      s.detach(back, true); // its connection ends: so does the session
      return null;
    });
    store.makeDurable();
    assertTrue(onLoop(s::isEnded));
    assertEquals(null, store.session("c"));
    assertTrue(store.messages("c").isEmpty(), "left in the store: " + store.messages("c"));
  }

  /**
   * A connection whose session has Session Expiry 0 ends, while shared deliveries of the session
   * lie on disk: the session ends as its connection does, handing them to other members, but
   * reads them off the event loop first; what reaches it meanwhile queues behind, in order.
   */
  @Test
  void aConnectionsEndWithExpiryZeroReadsTheSharedDeliveriesOnDiskOffTheLoopThenEnds()
      throws Exception {
    Session s = endingWithSharedOnDisk();
    assertEndsOnceTheDiskIsReadOffTheLoop(s);
  }

  /**
   * A DISCONNECT 0x00 with Session Expiry 0 discards the will, and the session then ends once its
   * shared deliveries on disk are read and handed on. The store's record must not keep the will
   * meanwhile: a kill during that read would end the session at recovery and send a will the
   * client had withdrawn.
   */
  @Test
  void aCleanDisconnectWithExpiryZeroKeepsNoWillInTheStoreWhileTheSessionReadsToEnd()
      throws Exception {
    SessionRegistry registry = sharedToOthers();
    FakeConnection c = new FakeConnection(loop);
    Message last = new Message("will/c", new byte[] {9}, 1, false, MqttProperties.empty(), 0, "");
    Session s = withSharedOnDisk(registry, c, new Will(last, 0, 0));
    onLoop(() -> {
      s.setExpiryInterval(0); // DISCONNECT 0x00 with Session Expiry Interval 0
      s.detach(c, false);
      return null;
    });
    store.makeDurable(); // the DISCONNECT's writes; the session is still reading to end
    assertFalse(onLoop(s::isEnded));

    RecordingSessionStore afterKill = store.afterKill();
    afterKill.hold();
    List<Message> wills = new CopyOnWriteArrayList<>();
    SessionRegistry restarted = fixture.registry(
        "mqtt.sessions.queue-memory-messages = 2", (m, r) -> wills.add(m), afterKill);
    SessionRecovery.run(afterKill, restarted, List.of(loop));
    Session again = restarted.get("c");
    letReadsThrough(afterKill);
    assertTrue(onLoop(again::isEnded), "the session ended with its connection");
    assertEquals(List.of(), wills, "a withdrawn will went out after the restart");
  }

  /** An administrator's discard is such an end too. */
  @Test
  void aDiscardReadsTheSharedDeliveriesOnDiskOffTheLoopThenEnds() throws Exception {
    SessionRegistry registry = sharedToOthers();
    Session s = withSharedOnDisk(registry, new FakeConnection(loop));
    onLoop(() -> s.kick(true));
    assertEndsOnceTheDiskIsReadOffTheLoop(s);
  }

  /**
   * A session that expired while the node was down, with shared deliveries on disk, ends at
   * recovery: it reads them off the event loop and hands them on once they are in.
   */
  @Test
  void aSessionExpiredAtRecoveryReadsItsSharedDeliveriesOnDiskOffTheLoopThenHandsThemOn()
      throws Exception {
    offlineWithSharedOnDisk(fixture.registry("mqtt.sessions.queue-memory-messages = 2"));
    RecordingSessionStore kept = store.copy(); // the node stops here
    kept.hold();
    fixture.clock.advance(61_000); // it is down past the session's expiry
    SessionRegistry restarted =
        fixture.registry(
            "mqtt.sessions.queue-memory-messages = 2",
            (d, id, hops, r) -> redelivered.add((int) d.message().payload()[0]),
            kept);
    SessionRecovery.Result r =
        SessionRecovery.run(kept, restarted, List.of(loop));
    assertEquals(1, r.expired());
    assertEquals(0, kept.pageReads(), "the disk was read on the session's event loop");
    onLoop(() -> null); // the restarted session's task that ends it
    assertEquals(List.of(2), onLoop(() -> List.copyOf(redelivered)),
        "those on the heap go at once, those on disk once read");

    letReadsThrough(kept);
    assertEquals(List.of(2, 3, 5), onLoop(() -> List.copyOf(redelivered)));
    assertEquals(null, onLoop(() -> restarted.get("c")));
    assertEquals(null, kept.session("c"));
  }

  /**
   * The client comes back while its ended session still reads its shared deliveries on disk: it
   * attaches once the read is in, finding no session (CONNACK Session Present 0), and those
   * deliveries go to other members.
   */
  @Test
  void aClientBackWhileItsEndedSessionReadsFindsNoSessionAndTheSharedDeliveriesGoOn()
      throws Exception {
    Session s = endingWithSharedOnDisk();
    FakeConnection back = new FakeConnection(loop);
    List<Boolean> present = fixture.connect(s, back, false, null);
    assertEquals(0, store.pageReads(), "the disk was read on the session's event loop");
    assertTrue(onLoop(() -> List.copyOf(present)).isEmpty(), "attached before the read");
    letReadsThrough(store);
    assertEquals(List.of(false), onLoop(() -> List.copyOf(present)),
        "the session had ended with its connection");
    assertEquals(List.of(1, 3, 5), onLoop(() -> List.copyOf(redelivered)));
    assertTrue(onLoop(back::publishedNumbers).isEmpty(), "the old session's messages came back");
    assertFalse(onLoop(s::isEnded));
    assertTrue(onLoop(s::subscriptions).isEmpty());
  }

  /**
   * A connection with clean start takes over a stored session here while shared deliveries of it
   * lie on disk: the old state ends first and hands them to other members, those on the heap at
   * once, those on disk as they are read off the event loop (the attach runs once they are
   * handed on, the connection's input held until then); the new connection gets none of the old
   * state.
   */
  @Test
  void aCleanStartHereHandsTheOldSharedDeliveriesOnDiskOnAsTheyAreReadOffTheLoopThenAttaches()
      throws Exception {
    SessionRegistry registry = sharedToOthers();
    FakeConnection c = new FakeConnection(loop);
    Session s = withSharedOnDisk(registry, c);
    FakeConnection next = new FakeConnection(loop);
    List<Boolean> attached = fixture.connect(s, next, true, null);
    assertEquals(0, store.pageReads(), "the disk was read on the session's event loop");
    assertTrue(onLoop(() -> List.copyOf(attached)).isEmpty(), "attached before the read");
    assertEquals(List.of(1), onLoop(() -> List.copyOf(redelivered)),
        "those on the heap go at once, those on disk once read");

    letReadsThrough(store);
    assertEquals(List.of(false), onLoop(() -> List.copyOf(attached)), "CONNACK: no session");
    assertEquals(List.of(1, 3, 5), onLoop(() -> List.copyOf(redelivered)));
    assertEquals(List.of(ReasonCode.SESSION_TAKEN_OVER), onLoop(() -> List.copyOf(c.closes)));
    onLoop(() -> {
      s.deliver(delivery(9));
      return null;
    });
    assertEquals(List.of(9), onLoop(next::publishedNumbers), "the old state's messages came");
    store.makeDurable();
    assertEquals(List.of(9), store.numbers("c"), "the old state is left in the store");
  }

  /**
   * The client connects with clean start while shared deliveries of its session lie on disk (that
   * attach waits for them to be read), then connects again without clean start: the connections
   * attach in the order they came, so the later one is the one that stays, with the state it
   * makes, and the earlier one is taken over.
   */
  @Test
  void aConnectionBehindAWaitingCleanStartAttachesAfterIt() throws Exception {
    SessionRegistry registry = sharedToOthers();
    FakeConnection c = new FakeConnection(loop);
    Session s = withSharedOnDisk(registry, c);
    FakeConnection first = new FakeConnection(loop);
    FakeConnection second = new FakeConnection(loop);
    List<String> attached = new ArrayList<>();
    onLoop(() -> {
      Session.PENDING_ATTACHES.incrementAndGet(s);
      s.beforeAttach(true, false, () -> {
        s.attach(first, true, 60, null, null, 0);
        s.resumeDelivery();
        attached.add("first");
      });
      Session.PENDING_ATTACHES.incrementAndGet(s);
      s.beforeAttach(false, false, () -> {
        s.attach(second, false, 60, null, null, 0);
        s.resumeDelivery();
        s.subscribe("u", QOS1);
        attached.add("second");
      });
      return null;
    });
    letReadsThrough(store);
    assertEquals(List.of("first", "second"), onLoop(() -> List.copyOf(attached)));
    assertEquals(List.of(ReasonCode.SESSION_TAKEN_OVER), onLoop(() -> List.copyOf(first.closes)));
    assertTrue(onLoop(() -> List.copyOf(second.closes)).isEmpty(), "the later connection went");
    assertEquals(List.of("u"), onLoop(() -> List.copyOf(s.subscriptions().keySet())));
    assertEquals(List.of(1, 3, 5), onLoop(() -> List.copyOf(redelivered)));
  }

  /**
   * A message of no shared group reaching a session that is over and still reads its shared
   * deliveries on disk to hand them on is dropped at once and counted (the session ended), as for
   * one that has ended: it is not written to the store, queued and then dropped uncounted with
   * the session.
   */
  @Test
  void aMessageReachingAnEndingSessionIsCountedAsDroppedAndNotWritten() throws Exception {
    Session s = endingWithSharedOnDisk();
    long before = onLoop(() -> s.context.metrics().drops(DropReason.SESSION_ENDED));
    onLoop(() -> {
      s.deliver(delivery(8));
      return null;
    });
    assertFalse(store.numbers("c").contains(8), "written for a session that is over");
    letReadsThrough(store);
    assertTrue(onLoop(s::isEnded));
    assertEquals(List.of(1, 3, 5), onLoop(() -> List.copyOf(redelivered)));
    assertEquals(before + 1, onLoop(() -> s.context.metrics().drops(DropReason.SESSION_ENDED)),
        "dropped uncounted");
  }

  private SessionRegistry sharedToOthers() {
    return fixture.registry(
        "mqtt.sessions.queue-memory-messages = 2",
        (d, id, hops, r) -> redelivered.add((int) d.message().payload()[0]));
  }

  /**
   * Stored session c with connection {@code c} that takes nothing, holding 1 to 5 (the odd ones
   * shared deliveries): 1 and 2 on the heap, 3 to 5 only on disk; page reads held from then on.
   */
  private Session withSharedOnDisk(SessionRegistry registry, FakeConnection c) throws Exception {
    return withSharedOnDisk(registry, c, null);
  }

  /** {@link #withSharedOnDisk(SessionRegistry, FakeConnection)}, the client's will {@code will}. */
  private Session withSharedOnDisk(SessionRegistry registry, FakeConnection c, Will will)
      throws Exception {
    Session s = fixture.connected(registry, c, will);
    c.writable = false;
    onLoop(() -> {
      for (int n = 1; n <= 5; n++) {
        s.deliver(n % 2 == 1 ? shared(n) : delivery(n));
      }
      return null;
    });
    assertEquals(2, onLoop(s::queuedInMemory));
    store.hold();
    return s;
  }

  /**
   * {@link #withSharedOnDisk(SessionRegistry, FakeConnection)} of {@link #sharedToOthers}, whose
   * connection then ended with Session Expiry 0: the session is over, and reads to end.
   */
  private Session endingWithSharedOnDisk() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = withSharedOnDisk(sharedToOthers(), c);
    onLoop(() -> {
      s.setExpiryInterval(0); // DISCONNECT with Session Expiry Interval 0
      s.detach(c, true);
      return null;
    });
    return s;
  }

  /**
   * Stored session c of {@code registry}, offline, holding 1 to 5 (2, 3 and 5 shared deliveries):
   * 1 and 2 on the heap, 3 to 5 only on disk.
   */
  private Session offlineWithSharedOnDisk(SessionRegistry registry) throws Exception {
    return fixture.offlineWith(
        registry, delivery(1), shared(2), shared(3), delivery(4), shared(5));
  }

  /**
   * {@code s} (see {@link #withSharedOnDisk}) is ending: nothing was read on its loop and nothing
   * handed on yet; a shared delivery reaching it meanwhile goes behind those on disk, and once the
   * reads are let through all go to other members in order, the session ends and leaves the
   * store.
   */
  private void assertEndsOnceTheDiskIsReadOffTheLoop(Session s) throws Exception {
    assertEquals(0, store.pageReads(), "the disk was read on the session's event loop");
    assertEquals(List.of(1), onLoop(() -> List.copyOf(redelivered)),
        "those on the heap go at once, those on disk once read");
    assertFalse(onLoop(s::isEnded), "ended before its shared deliveries on disk were read");
    onLoop(() -> {
      s.deliver(shared(7)); // arrives during the read: behind what is on disk
      return null;
    });
    letReadsThrough(store);
    assertEquals(List.of(1, 3, 5, 7), onLoop(() -> List.copyOf(redelivered)));
    assertTrue(onLoop(s::isEnded));
    store.makeDurable();
    onLoop(() -> null);
    assertEquals(null, store.session("c"));
    assertTrue(store.messages("c").isEmpty(), "left in the store: " + store.messages("c"));
  }

  /**
   * Lets every page read through that {@code st} holds, and each asks for the next as a task of
   * the session (a page handed on, once its new holders have it: one task more).
   */
  private void letReadsThrough(RecordingSessionStore st) throws Exception {
    for (int i = 0; i < 50; i++) {
      onLoop(() -> null);
      onLoop(() -> null);
      if (st.waiting() == 0) {
        return;
      }
      st.makeDurable();
    }
    assertEquals(0, st.waiting(), "reads left");
  }

  /** {@code back} reads again, and {@code s} drains its queue to it, pages read as asked. */
  private void drainTo(Session s, FakeConnection back) throws Exception {
    onLoop(() -> {
      back.writable = true;
      s.onWritable(back);
      return null;
    });
    for (int i = 0; i < 20 && store.waiting() > 0; i++) {
      store.makeDurable(); // the pages the drain asks for
      onLoop(() -> null);
    }
  }

  private static Delivery delivery(int n) {
    return StoredSessionFixture.delivery(n, 1);
  }

  private <T> T onLoop(Callable<T> task) throws Exception {
    return fixture.onLoop(task);
  }
}

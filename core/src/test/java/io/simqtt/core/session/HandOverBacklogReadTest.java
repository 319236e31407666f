package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.topic.SubscriptionOptions;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A stored session asked to move to another node while part of its queue lies only on disk reads
 * that part on the store's reader side, not on its event loop, and hands its state over once the
 * last page is in; its client's connection goes at once. The hand-over's answer comes whatever
 * happens to the session meanwhile: a claimer left waiting would keep its client from connecting
 * until its own timeout. The store holds each page read until the test lets it through ({@link
 * RecordingSessionStore#hold}), so "not read yet" is a state the test sees.
 */
class HandOverBacklogReadTest {
  private static final SubscriptionOptions QOS1 = new SubscriptionOptions(1, false, false, 0, 0);

  @RegisterExtension final StoredSessionFixture fixture = new StoredSessionFixture();
  private final DefaultEventLoop loop = fixture.loop;
  private final RecordingSessionStore store = fixture.store;

  @Test
  void aMoveReadsTheBacklogOffTheLoopThenHandsOverTheWholeQueueInOrder() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = withBacklog(c);
    CompletableFuture<HandOver> h = new CompletableFuture<>();
    fixture.inSession(s, () -> s.handOver(false, h));
    assertEquals(0, store.pageReads(), "the disk was read on the session's event loop");
    assertFalse(h.isDone(), "handed over before the entries on disk were read");
    assertEquals(List.of(ReasonCode.SESSION_TAKEN_OVER), onLoop(() -> List.copyOf(c.closes)),
        "the client's old connection goes at once");

    onLoop(() -> {
      s.deliver(delivery(6)); // arrives during the read: behind what is on disk
      return null;
    });
    readEverything();
    HandOver handed = h.get(5, TimeUnit.SECONDS);
    assertEquals(List.of(1, 2, 3, 4, 5, 6), numbers(handed.state().queued()));
  }

  @Test
  void aHandOverWaitingForItsBacklogIsAnsweredWhenTheSessionEndsMeanwhile() throws Exception {
    Session s = withBacklog(new FakeConnection(loop));
    CompletableFuture<HandOver> waiting = new CompletableFuture<>();
    CompletableFuture<HandOver> cleanStart = new CompletableFuture<>();
    fixture.inSession(s, () -> {
      s.handOver(false, waiting);
      s.handOver(true, cleanStart); // a clean start on another node ends the session here
    });
    assertNull(cleanStart.get(5, TimeUnit.SECONDS));
    assertNull(waiting.get(5, TimeUnit.SECONDS),
        "the session ended while its hand-over waited for the read: nothing to hand over");
    assertTrue(onLoop(s::isEnded));
  }

  @Test
  void aYieldReadsTheBacklogOffTheLoopThenRedirectsTheWholeQueueInOrder() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = withBacklog(c);
    fixture.inSession(s, () -> s.yieldTo("n3")); // a healed partition found a later owner
    assertEquals(0, store.pageReads(), "the disk was read on the session's event loop");
    assertTrue(onLoop(() -> fixture.cluster.redirects.isEmpty()), "passed on before the read");
    assertEquals(List.of(ReasonCode.SESSION_TAKEN_OVER), onLoop(() -> List.copyOf(c.closes)));

    onLoop(() -> {
      s.deliver(delivery(6)); // arrives during the read: behind what is on disk
      return null;
    });
    readEverything();
    assertEquals(List.of("n3:1:1", "n3:2:1", "n3:3:1", "n3:4:1", "n3:5:1", "n3:6:1"),
        onLoop(() -> List.copyOf(fixture.cluster.redirects)));
    assertTrue(onLoop(s::isMoved));
  }

  @Test
  void aHandOverWaitingBehindAYieldIsAnsweredOnceTheSessionMovedOn() throws Exception {
    Session s = withBacklog(new FakeConnection(loop));
    CompletableFuture<HandOver> waiting = new CompletableFuture<>();
    fixture.inSession(s, () -> {
      s.yieldTo("n3");
      s.handOver(false, waiting); // another node's claim while the yield waits for the read
    });
    assertFalse(waiting.isDone());
    readEverything();
    assertNull(waiting.get(5, TimeUnit.SECONDS), "the session moved on meanwhile");
    assertEquals(5, onLoop(() -> fixture.cluster.redirects.size()));
  }

  @Test
  void aConnectionAttachingWhileTheHandOverWaitsForItsBacklogWinsAndKeepsTheSession()
      throws Exception {
    Session s = withBacklog(new FakeConnection(loop));
    CompletableFuture<HandOver> waiting = new CompletableFuture<>();
    fixture.inSession(s, () -> s.handOver(false, waiting));
    FakeConnection here = new FakeConnection(loop);
    fixture.inSession(s, () -> {
      Session.PENDING_ATTACHES.incrementAndGet(s);
      s.attach(here, false, 60, null, null, 0); // its claim won against the one waiting
      s.resumeDelivery();
    });
    readEverything();
    assertNull(waiting.get(5, TimeUnit.SECONDS), "the claim the connection here won against");
    assertTrue(onLoop(() -> here.closes.isEmpty()), "the connection that won was taken over");
    assertEquals(List.of(1, 2, 3, 4, 5), onLoop(here::publishedNumbers));
  }

  @Test
  void aHandOverWhoseReadAnotherWholeReadOvertookGoesAheadWithTheQueue() throws Exception {
    Session s = withBacklog(new FakeConnection(loop));
    CompletableFuture<HandOver> h = new CompletableFuture<>();
    fixture.inSession(s, () -> {
      s.handOver(false, h);
      s.expectRedirects(); // it reads the whole queue at once
    });
    assertEquals(List.of(1, 2, 3, 4, 5), numbers(h.get(5, TimeUnit.SECONDS).state().queued()));
  }

  /**
   * A stored session with a connection that takes nothing, holding 1 to 5 queued: 1 and 2 on the
   * heap, 3 to 5 only on disk; page reads held from then on.
   */
  private Session withBacklog(FakeConnection c) throws Exception {
    SessionRegistry registry = fixture.registry("mqtt.sessions.queue-memory-messages = 2");
    Session s = onLoop(() -> {
      Session x = registry.claim("c", loop, false);
      x.attach(c, false, 60, null, null, 0);
      x.subscribe("t", QOS1);
      x.resumeDelivery();
      return x;
    });
    c.writable = false;
    onLoop(() -> {
      for (int n = 1; n <= 5; n++) {
        s.deliver(delivery(n));
      }
      return null;
    });
    assertEquals(2, onLoop(s::queuedInMemory));
    store.hold();
    return s;
  }

  /** Lets the page reads through, one after another (each next one is asked for as a task). */
  private void readEverything() throws Exception {
    for (int i = 0; i < 10 && store.waiting() > 0; i++) {
      store.makeDurable();
      onLoop(() -> null);
    }
    assertEquals(0, store.waiting());
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

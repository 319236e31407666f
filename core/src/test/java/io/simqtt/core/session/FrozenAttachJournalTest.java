package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import io.simqtt.core.topic.SubscriptionOptions;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A stored session frozen for a hand-over takes its own state back when its client attaches here
 * again: its messages come back as they froze, under the sequence numbers their entries have in
 * the store (once, they came back with seq 0: sent marks under an entry that does not exist,
 * which the next start refuses as damage, and acknowledged entries that stayed on disk).
 */
class FrozenAttachJournalTest {
  private static final SubscriptionOptions QOS1 = new SubscriptionOptions(1, false, false, 0, 0);
  @RegisterExtension final StoredSessionFixture fixture = new StoredSessionFixture();
  private final DefaultEventLoop loop = fixture.loop;
  private final RecordingSessionStore store = fixture.store;

  @Test
  void acknowledgedMessagesLeaveTheDiskAfterAFrozenSessionTookItsStateBack() throws Exception {
    SessionRegistry registry = fixture.registry("");
    FakeConnection c = new FakeConnection(loop);
    Session s = onLoop(() -> {
      Session x = registry.claim("c", loop, false);
      x.attach(c, false, 60, null, null, 0);
      x.subscribe("t", QOS1);
      x.resumeDelivery();
      x.detach(c, true);
      x.deliver(delivery(1));
      x.deliver(delivery(2));
      return x;
    });
    CompletableFuture<HandOver> h = new CompletableFuture<>();
    onLoop(() -> {
      s.handOver(false, h);
      return null;
    });
    h.get(5, TimeUnit.SECONDS);
    FakeConnection back = new FakeConnection(loop);
    onLoop(() -> {
      Session.PENDING_ATTACHES.incrementAndGet(s);
      s.attach(back, false, 60, null, null, 0);
      s.resumeDelivery();
      return null;
    });
    List<Integer> ids = onLoop(back::publishedIds);
    assertEquals(2, ids.size(), "both queued messages went out again");
    assertEquals(List.of("writeSession c false 0"),
        store.calls("writeSession", "c").stream().map(Object::toString).toList(),
        "its entries never left the store: nothing to write again");
    assertTrue(store.calls("deleteSession", "c").isEmpty());
    assertEquals(List.of("markSent c 1 " + ids.get(0) + " false",
            "markSent c 2 " + ids.get(1) + " false"),
        store.calls("markSent", "c").stream().map(Object::toString).toList(),
        "sent under the seqs the entries were written with");
    onLoop(() -> {
      ids.forEach(s::onPubAck);
      return null;
    });
    assertTrue(store.calls().stream().noneMatch(x -> x.op().equals("markSent")
            && x.args().startsWith("0 ")),
        "a sent record under seq 0 (no entry there; DiskSessionStore.load calls it damage): "
            + store.calls());
    assertEquals(0, store.messages("c").size(),
        "acknowledged entries still on disk (a restart brings them back): " + store.messages("c"));
  }

  private static Delivery delivery(int n) {
    return StoredSessionFixture.delivery(n, 1);
  }

  private <T> T onLoop(Callable<T> task) throws Exception {
    return fixture.onLoop(task);
  }
}

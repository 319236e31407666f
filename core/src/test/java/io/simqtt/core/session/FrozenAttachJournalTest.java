package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A stored session frozen for a hand-over takes its own state back when its client attaches here
 * again: its messages come back as they froze, under the sequence numbers their entries have in
 * the store (once, they came back with seq 0: sent marks under an entry that does not exist,
 * which the next start refuses as damage, and acknowledged entries that stayed on disk).
 */
class FrozenAttachJournalTest {
  @RegisterExtension final StoredSessionFixture fixture = new StoredSessionFixture();
  private final DefaultEventLoop loop = fixture.loop;
  private final RecordingSessionStore store = fixture.store;

  @Test
  void acknowledgedMessagesLeaveTheDiskAfterAFrozenSessionTookItsStateBack() throws Exception {
    SessionRegistry registry = fixture.registry("");
    Session s = fixture.offlineWith(registry, delivery(1), delivery(2));
    fixture.handOver(s);
    FakeConnection back = new FakeConnection(loop);
    fixture.connect(s, back, false, null);
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

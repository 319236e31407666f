package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.message.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a stored session writes to its store, call by call, on one event loop without sockets:
 * each message from the moment it is held until it is done with, whatever ends it, and the
 * session deleted when it stops being one that is kept.
 */
class SessionJournalTest {

  @RegisterExtension final StoredSessionFixture fixture = new StoredSessionFixture();
  private final DefaultEventLoop loop = fixture.loop;
  private final RecordingSessionStore store = fixture.store;
  private final ManualClock clock = fixture.clock;

  @Test
  void aMessageIsWrittenWhenHeldMarkedWhenSentAndRemovedWhenAcknowledged() throws Exception {
    SessionRegistry registry = registry("");
    FakeConnection c = new FakeConnection(loop);
    Session s = fixture.connected(registry, c);
    onLoop(() -> {
      s.deliver(delivery(1, 1));
      s.onPubAck(c.publishedIds().get(0));
      return null;
    });
    assertEquals(
        List.of("addMessage c 1", "markSent c 1 1 false", "removeMessage c 1"),
        messageCalls());
  }

  @Test
  void theQueueBoundAndExpiryEachRemoveTheEntryTheyDrop() throws Exception {
    SessionRegistry registry =
        registry("mqtt.sessions { max-queued-messages = 2, queue-overflow = drop-oldest }");
    FakeConnection c = new FakeConnection(loop);
    Session s = fixture.connected(registry, c);
    onLoop(() -> {
      s.detach(c, true);
      s.deliver(delivery(1, 1));
      s.deliver(delivery(2, 1));
      s.deliver(delivery(3, 1)); // the oldest goes
      return null;
    });
    assertEquals(List.of(2L, 3L), List.copyOf(store.messages("c").keySet()));

    Message expiring = new Message(
        "t", new byte[] {4}, 1, false, MqttProperties.NONE, clock.millis() + 1000, "p");
    FakeConnection again = new FakeConnection(loop);
    onLoop(() -> {
      s.deliver(new Delivery(expiring, 1, false, new int[0])); // the oldest goes again
      return null;
    });
    clock.advance(2000);
    fixture.connect(s, again, false, null); // 3 goes out, the expired one is dropped on the way
    assertEquals(List.of(3L), List.copyOf(store.messages("c").keySet()));
    assertEquals(1, store.messages("c").get(3L).packetId(), "in flight under its packet id");
  }

  @Test
  void aSharedMessageGivenToAnotherMemberIsRemoved() throws Exception {
    List<Delivery> redelivered = new ArrayList<>();
    SessionRegistry registry = registry("", (d, id, hops, r) -> redelivered.add(d));
    FakeConnection c = new FakeConnection(loop);
    Session s = fixture.connected(registry, c);
    c.writable = false; // it waits in the queue
    onLoop(() -> {
      s.deliver(new Delivery(delivery(1, 1).message(), 1, false, new int[0], "$share/g/t"));
      s.detach(c, true); // a queued shared message goes to another member
      return null;
    });
    assertEquals(1, redelivered.size());
    assertEquals(List.of("addMessage c 1", "removeMessage c 1"), messageCalls());
    assertTrue(store.messages("c").isEmpty());
  }

  @Test
  void aSessionWhoseExpiryADisconnectTurnsZeroIsDeletedAsItsConnectionEnds() throws Exception {
    SessionRegistry registry = registry("");
    FakeConnection c = new FakeConnection(loop);
    Session s = fixture.connected(registry, c);
    onLoop(() -> {
      s.deliver(delivery(1, 1));
      s.setExpiryInterval(0); // DISCONNECT with Session Expiry Interval 0
      return null;
    });
    assertNotNull(store.session("c"), "it leaves the store with its connection, not before");
    onLoop(() -> {
      s.detach(c, false);
      return null;
    });
    assertNull(store.session("c"));
    assertTrue(store.messages("c").isEmpty());
  }

  @Test
  void aSessionThatWasNotStoredIsWrittenWholeOnceAConnectionGivesItAnExpiry() throws Exception {
    SessionRegistry registry = registry("");
    FakeConnection c = new FakeConnection(loop);
    Session s = fixture.connected(registry, c, 0);
    onLoop(() -> {
      s.deliver(delivery(1, 1)); // in flight, not stored
      return null;
    });
    assertNull(store.session("c"));

    FakeConnection next = new FakeConnection(loop);
    fixture.connect(s, next, false, 30, null); // takes over: the session lives on
    assertNotNull(store.session("c"));
    assertEquals(30, store.session("c").expiryInterval());
    assertEquals(1, store.messages("c").size(), "what it held written again");
    assertEquals(1, store.messages("c").values().iterator().next().packetId());
  }

  @Test
  void anEndedSessionIsDeleted() throws Exception {
    SessionRegistry registry = registry("");
    FakeConnection c = new FakeConnection(loop);
    Session s = fixture.connected(registry, c);
    onLoop(() -> s.kick(true));
    assertNull(store.session("c"));
    assertEquals(List.of("deleteSession c"), store.calls("deleteSession", "c").stream()
        .map(RecordingSessionStore.Call::toString).toList());
  }

  // ---- helpers ----

  private SessionRegistry registry(String hocon) {
    return fixture.registry(hocon);
  }

  private SessionRegistry registry(String hocon, SharedRedelivery sharedRedelivery) {
    return fixture.registry(hocon, sharedRedelivery);
  }

  private List<String> messageCalls() {
    return store.calls().stream()
        .filter(c -> !c.op().equals("saveSession") && !c.op().equals("writeSession"))
        .map(RecordingSessionStore.Call::toString)
        .toList();
  }

  private static Delivery delivery(int n, int qos) {
    return StoredSessionFixture.delivery(n, qos);
  }

  private <T> T onLoop(Callable<T> task) throws Exception {
    return fixture.onLoop(task);
  }
}

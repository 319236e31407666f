package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import io.simqtt.core.metrics.DropReason;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A stored member of $share/g/t whose session ends (Session Expiry 0) with a QoS 2 delivery in
 * flight: if its PUBLISH went out, the client may have the message and no other member may get
 * it ([MQTT-4.8.2-5]), so it ends with the session, counted; if it still waited for its entry to
 * be durable (durable mode writes a QoS 2 PUBLISH only then), the client never saw it, and it
 * goes to another member as a queued one does.
 */
class SharedQos2HandOnTest {
  @RegisterExtension final StoredSessionFixture fixture = new StoredSessionFixture();
  private final DefaultEventLoop loop = fixture.loop;
  private final List<Integer> handedOn = new ArrayList<>();

  @Test
  void aSentOneEndsWithTheSession() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = member(c);
    fixture.onLoop(() -> {
      s.deliver(sharedQos2(1));
      return null;
    });
    fixture.store.makeDurable();
    assertEquals(List.of(1), fixture.onLoop(c::publishedNumbers), "sent, no PUBREC");
    endSession(s);
    assertEquals(List.of(), fixture.onLoop(() -> List.copyOf(handedOn)));
    assertEquals(1, fixture.onLoop(() -> s.context.metrics().drops(DropReason.MEMBER_ENDED)));
  }

  @Test
  void oneWaitingForTheStoreGoesToAnotherMember() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = memberWaitingForTheStore(c);
    endSession(s);
    assertEquals(List.of(1), fixture.onLoop(() -> List.copyOf(handedOn)));
    assertEquals(0, fixture.onLoop(() -> s.context.metrics().drops(DropReason.MEMBER_ENDED)));
  }

  @Test
  void oneDurableOnlyAfterItsConnectionEndedGoesToAnotherMemberWhenTheSessionExpires()
      throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = memberWaitingForTheStore(c);
    fixture.inSession(s, () -> s.detach(s.connection, true)); // Session Expiry 60 s: it stays
    fixture.store.makeDurable(); // durable with no connection: never written
    fixture.inSession(s, () -> { });
    assertTrue(fixture.onLoop(c::publishedNumbers).isEmpty(), "never written");
    fixture.advance(s, 61_000); // the session expires
    assertEquals(List.of(1), fixture.onLoop(() -> List.copyOf(handedOn)));
    assertEquals(0, fixture.onLoop(() -> s.context.metrics().drops(DropReason.MEMBER_ENDED)));
  }

  /** A member of $share/g on {@code c}, given shared QoS 2 message 1 while the store holds. */
  private Session memberWaitingForTheStore(FakeConnection c) throws Exception {
    Session s = member(c);
    fixture.store.hold();
    fixture.onLoop(() -> {
      s.deliver(sharedQos2(1));
      return null;
    });
    assertTrue(fixture.onLoop(c::publishedNumbers).isEmpty(), "its PUBLISH waits for the store");
    return s;
  }

  private Session member(FakeConnection c) throws Exception {
    SessionRegistry registry = fixture.registry(
        "", (d, leaving, hops, receipt) -> handedOn.add((int) d.message().payload()[0]));
    return fixture.connected(registry, c);
  }

  private void endSession(Session s) throws Exception {
    fixture.onLoop(() -> {
      s.setExpiryInterval(0);
      s.detach(s.connection, true);
      return null;
    });
  }

  private static Delivery sharedQos2(int n) {
    return new Delivery(
        StoredSessionFixture.delivery(n, 2).message(), 2, false, new int[0], "$share/g/t");
  }
}

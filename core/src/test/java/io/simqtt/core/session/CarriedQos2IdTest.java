package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A stored publisher's QoS 2 id written by the count that completes its message's receipt, on
 * whichever target's thread that is, after the publisher's state was replaced (a clean start):
 * the record is an orphan a restart would take for an open id, and goes; one the current state
 * holds stays.
 */
class CarriedQos2IdTest {
  @RegisterExtension final StoredSessionFixture fixture = new StoredSessionFixture();

  @Test
  void anIdCarriedAfterACleanStartReplacedThePublishersStateIsRemoved() throws Exception {
    Session pub = storedPublisher();
    InboundQos2.Unsettled first = onLoop(() -> admit(pub, 5));
    cleanStart(pub);
    onLoop(() -> {
      pub.carriedQos2Written(first, 5); // the target's write landed after the rewrite
      return null;
    });
    assertEquals(List.of("removeInboundQos2 pub 5"), removals());
  }

  @Test
  void anIdTheCurrentStateHoldsStays() throws Exception {
    Session pub = storedPublisher();
    onLoop(() -> {
      InboundQos2.Unsettled held = admit(pub, 5);
      pub.carriedQos2Written(held, 5);
      return null;
    });
    InboundQos2.Unsettled old = onLoop(() -> admit(pub, 6));
    cleanStart(pub);
    onLoop(() -> {
      admit(pub, 6); // the client reused id 6 for a new message: its record is the new one's
      pub.carriedQos2Written(old, 6);
      return null;
    });
    assertEquals(List.of(), removals());
  }

  private Session storedPublisher() throws Exception {
    SessionRegistry registry = fixture.registry("");
    return onLoop(() -> {
      Session s = registry.claim("pub", fixture.loop, false);
      s.attach(new FakeConnection(fixture.loop), false, 60, null, null, 0);
      return s;
    });
  }

  private static InboundQos2.Unsettled admit(Session s, int id) {
    assertEquals(InboundQos2.Admission.NEW, s.admitQos2(id, 10));
    return s.unsettledQos2(id);
  }

  private void cleanStart(Session s) throws Exception {
    fixture.connect(s, new FakeConnection(fixture.loop), true, null);
  }

  private List<String> removals() {
    return fixture.store.calls("removeInboundQos2", "pub").stream().map(Object::toString).toList();
  }

  private <T> T onLoop(Callable<T> task) throws Exception {
    return fixture.onLoop(task);
  }
}

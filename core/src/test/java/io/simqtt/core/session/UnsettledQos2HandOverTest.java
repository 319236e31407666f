package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.ReasonCode;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A stored session asked to move while an inbound QoS 2 id of its client is unsettled (the first
 * copy of that message not durable yet) hands its state over only once the id settles. Before,
 * the id reached the new owner as settled, so the client's resend there was answered PUBREC at
 * once and the client could finish a message a kill of this node would still lose.
 */
class UnsettledQos2HandOverTest {
  @RegisterExtension final StoredSessionFixture fixture = new StoredSessionFixture();
  private InboundQos2.Admission admission;
  private Runnable settle;

  @Test
  void theStateMovesOnlyOnceTheUnsettledIdIsSettled() throws Exception {
    FakeConnection c = new FakeConnection(fixture.loop);
    Session s = withUnsettledId7(c);
    assertEquals(InboundQos2.Admission.NEW, admission);
    CompletableFuture<HandOver> h = new CompletableFuture<>();
    onLoop(() -> {
      s.handOver(false, h);
      return null;
    });
    assertFalse(h.isDone(), "handed over while id 7's first copy was not durable");
    assertEquals(List.of(ReasonCode.SESSION_TAKEN_OVER), onLoop(() -> List.copyOf(c.closes)),
        "the client's old connection goes at once");

    onLoop(() -> {
      settle.run(); // the copy is durable: the PUBREC could go out
      return null;
    });
    HandOver handed = h.get(5, TimeUnit.SECONDS);
    assertEquals(Set.of(7), handed.state().inboundQos2());
  }

  /** The client back here while the hand-over waited: it is not taken away when the id settles. */
  @Test
  void aClientBackHereWhileTheHandOverWaitedKeepsItsSession() throws Exception {
    Session s = withUnsettledId7(new FakeConnection(fixture.loop));
    CompletableFuture<HandOver> h = new CompletableFuture<>();
    FakeConnection back = new FakeConnection(fixture.loop);
    onLoop(() -> {
      s.handOver(false, h);
      return null;
    });
    fixture.connect(s, back, false, null); // the claim gave up; the client came back
    onLoop(() -> {
      settle.run();
      return null;
    });
    assertNull(h.get(5, TimeUnit.SECONDS), "nothing handed over");
    assertEquals(List.of(), onLoop(() -> List.copyOf(back.closes)), "the new connection stays");
    assertTrue(onLoop(s::isConnected));
  }

  /**
   * Session c with connection {@code c} attached, its client's QoS 2 id 7 admitted ({@link
   * #admission}) and not settled: {@link #settle} settles it, as the first copy's durable write.
   */
  private Session withUnsettledId7(FakeConnection c) throws Exception {
    SessionRegistry registry = fixture.registry("");
    return onLoop(() -> {
      Session x = registry.claim("c", fixture.loop, false);
      x.attach(c, false, 60, null, null, 0);
      x.resumeDelivery();
      admission = x.admitQos2(7, 10);
      settle = x.unsettledQos2(7);
      return x;
    });
  }

  private <T> T onLoop(Callable<T> task) throws Exception {
    return fixture.onLoop(task);
  }
}

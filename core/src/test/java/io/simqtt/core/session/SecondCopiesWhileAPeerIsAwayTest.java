package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import io.simqtt.core.cluster.Cluster;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.message.Message;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.topic.SubscriptionOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The window for second copies a session keeps after a move stays open while a peer is away: the
 * session's old node, running or restarted on its store, still redirects what peers send it again
 * up to the late-redirect time after the move. It closes once every peer has been back for twice
 * the redirect time, or at the latest the late-redirect time plus twice the redirect time after it
 * opened; each redirected arrival keeps it open for twice the redirect time, as before.
 */
class SecondCopiesWhileAPeerIsAwayTest {
  private static final long REDIRECT = 10_000;
  private static final long LATE = 300_000;
  private static final long T0 = 1_000_000;

  @RegisterExtension final StoredSessionFixture fixture = new StoredSessionFixture();
  private final DefaultEventLoop loop = fixture.loop;
  private final RecordingCluster cluster = fixture.cluster;

  /** However long it stays open, a window keeps the newest 65,536 keys: a few MB a session. */
  @Test
  void aWindowKeepsAtMostItsBoundOfKeysForgettingTheOldest() {
    List<MessageKey> known = new ArrayList<>();
    for (int i = 0; i <= SeenMessages.MAX_KEYS; i++) {
      known.add(new MessageKey("n1", i, null));
    }
    SeenMessages w = new SeenMessages(known, T0, REDIRECT, LATE);
    List<MessageKey> kept = w.keys();
    assertEquals(SeenMessages.MAX_KEYS, kept.size());
    assertFalse(kept.contains(known.get(0)), "the oldest went");
    assertTrue(kept.contains(known.get(SeenMessages.MAX_KEYS)));
  }

  @Test
  void aWindowStaysOpenWhileAPeerIsAway() {
    SeenMessages w = new SeenMessages(List.of(), T0, REDIRECT, LATE);
    cluster.wholeForMillis = Cluster.NOT_WHOLE;
    assertFalse(w.isOver(T0 + 2 * REDIRECT, cluster));
    assertFalse(w.isOver(T0 + LATE, cluster));
    cluster.wholeForMillis = Long.MAX_VALUE;
    assertTrue(w.isOver(T0 + 2 * REDIRECT, cluster), "closes as before once all are back");
  }

  @Test
  void aWindowClosesTwiceTheRedirectTimeAfterTheClusterIsWholeAgain() {
    SeenMessages w = new SeenMessages(List.of(), T0, REDIRECT, LATE);
    cluster.wholeForMillis = 2 * REDIRECT - 1;
    assertFalse(w.isOver(T0 + 3 * REDIRECT, cluster));
    cluster.wholeForMillis = 2 * REDIRECT;
    assertTrue(w.isOver(T0 + 3 * REDIRECT, cluster));
  }

  @Test
  void aWindowNeverStaysOpenPastTheLateRedirectTimeAndTwiceTheRedirectTime() {
    SeenMessages w = new SeenMessages(List.of(), T0, REDIRECT, LATE);
    cluster.wholeForMillis = Cluster.NOT_WHOLE;
    assertFalse(w.isOver(T0 + LATE + 2 * REDIRECT - 1, cluster));
    assertTrue(w.isOver(T0 + LATE + 2 * REDIRECT, cluster));
  }

  @Test
  void aRedirectedArrivalKeepsItOpenForTwiceTheRedirectTimeWhateverTheCluster() {
    SeenMessages w = new SeenMessages(List.of(), T0, REDIRECT, LATE);
    cluster.wholeForMillis = Long.MAX_VALUE;
    long late = T0 + LATE + 5 * REDIRECT;
    w.extendFrom(late);
    assertFalse(w.isOver(late + 2 * REDIRECT - 1, cluster));
    assertTrue(w.isOver(late + 2 * REDIRECT, cluster));
  }

  /**
   * A session that arrived with message 1: past twice the redirect time, with a peer away, a
   * second copy of 1 is still dropped; once the cluster has been whole for twice the redirect
   * time the window is gone and every copy is delivered.
   */
  @Test
  void aSessionThatArrivedDropsSecondCopiesWhileAPeerIsAwayAndNotOnceAllAreBack()
      throws Exception {
    SessionRegistry registry = fixture.registry("");
    SessionSnapshot state = new SessionSnapshot(
        Map.of("t", new SubscriptionOptions(1, false, false, 0, 0)),
        List.of(),
        List.of(new Delivery(message(1), 1, false, new int[0])),
        Set.of(),
        60,
        0,
        List.of(),
        0);
    FakeConnection c = new FakeConnection(loop);
    Session s = fixture.onLoop(() -> registry.claim("c", loop, false));
    fixture.connect(s, c, false, state);
    cluster.wholeForMillis = Cluster.NOT_WHOLE;
    fixture.clock.advance(3 * REDIRECT);

    deliver(s, 1);
    cluster.wholeForMillis = 2 * REDIRECT - 1;
    deliver(s, 1);
    cluster.wholeForMillis = 2 * REDIRECT;
    deliver(s, 2);
    deliver(s, 2);
    assertEquals(List.of(1, 2, 2), fixture.onLoop(c::publishedNumbers));
    assertEquals(2, fixture.onLoop(() -> s.context.metrics().drops(DropReason.DUPLICATE)));
  }

  private void deliver(Session s, int n) throws Exception {
    fixture.inSession(s, () -> s.deliver(new Delivery(message(n), 1, false, new int[0])));
  }

  private static Message message(int n) {
    return new Message(
        "t", new byte[] {(byte) n}, 1, false, MqttProperties.NONE, 0, "pub", "n1", 1000 + n);
  }
}

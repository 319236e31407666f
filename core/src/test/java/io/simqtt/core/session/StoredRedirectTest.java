package io.simqtt.core.session;

import static io.simqtt.core.session.StoredSessionFixture.delivery;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import io.simqtt.core.cluster.Cluster;
import io.simqtt.core.topic.SubscriptionOptions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A stored session that moves to another node leaves its redirect in the store in its place
 * ({@link SessionStore#redirectSession}); the redirect comes back at recovery and passes on what
 * reaches it for what is left of its redirect time, counted from the move, then until the
 * cluster is whole, but never past the late-redirect time after the move; the store lets it go
 * when it ends, or when a connection of its client attaches here.
 */
class StoredRedirectTest {
  /** The redirect time every registry of the fixture has. */
  private static final long REDIRECT_MILLIS = 10_000;
  /** The late-redirect time every registry of the fixture has. */
  private static final long LATE_REDIRECT_MILLIS = 300_000;
  /** The hybrid clock of the claim whose connection created c's session: its lineage. */
  private static final long LINEAGE = 7;

  @RegisterExtension final StoredSessionFixture fixture = new StoredSessionFixture();
  private final DefaultEventLoop loop = fixture.loop;
  private final RecordingSessionStore store = fixture.store;

  private static final Map<String, SubscriptionOptions> SUBSCRIBED =
      Map.of("t", new SubscriptionOptions(1, false, false, 0, 0));

  /**
   * Down for half the redirect time: the redirect comes back and redirects for the other half,
   * then ends (the cluster whole), and the store lets it go. A restart does not lengthen it:
   * with every peer there, the new owner drops second copies only for twice the redirect time
   * from the move.
   */
  @Test
  void aRedirectComesBackAtRecoveryForWhatIsLeftOfItsRedirectTimeAndThenGoes()
      throws Exception {
    long movedAt = fixture.clock.millis();
    movedToN2();
    StoredRedirect toN2 = new StoredRedirect("c", "n2", SUBSCRIBED, movedAt, LINEAGE);
    assertNull(store.session("c"));
    assertEquals(List.of(toN2), store.redirects());

    RecordingSessionStore kept = store.afterKill();
    fixture.clock.advance(REDIRECT_MILLIS / 2);
    Restart restart = restart(kept);
    SessionRegistry restarted = restart.registry();
    SessionRecovery.Result r = restart.result();
    assertEquals(1, r.redirects());
    assertEquals(0, r.redirectsOver());
    assertEquals(0, r.sessions());
    Session back = restarted.get("c");
    assertTrue(back.isMoved());
    assertEquals(0, restarted.size(), "a redirect is no session held here");
    fixture.inSession(back, () -> back.deliver(delivery(5, 1)));
    assertEquals(List.of("n2:5:1"), onLoop(() -> List.copyOf(fixture.cluster.redirects)));
    assertEquals(List.of(LINEAGE), onLoop(() -> List.copyOf(fixture.cluster.lineages)),
        "naming the session's lineage, as before the restart");

    fixture.clock.advance(REDIRECT_MILLIS / 2 - 1);
    fixture.inSession(back, () -> back.deliver(delivery(6, 1)));
    assertEquals(List.of("n2:5:1", "n2:6:1"),
        onLoop(() -> List.copyOf(fixture.cluster.redirects)));
    assertEquals(List.of(toN2), kept.redirects());
    fixture.clock.advance(1);
    fixture.inSession(back, () -> { });
    assertTrue(onLoop(back::isEnded));
    assertNull(restarted.get("c"));
    assertEquals(List.of(), kept.redirects(), "the store let it go");
  }

  /**
   * Down for longer than the redirect time but less than the late-redirect time: the redirect
   * comes back, for none of its redirect time, and redirects until the cluster is whole (the
   * peers, back, have sent it again what they had not seen acknowledged), then ends.
   */
  @Test
  void aRedirectWhoseRedirectTimeEndedWhileTheNodeWasDownRedirectsUntilTheClusterIsWhole()
      throws Exception {
    movedToN2();
    RecordingSessionStore kept = store.afterKill();
    fixture.clock.advance(3 * REDIRECT_MILLIS);
    fixture.cluster.wholeForMillis = Cluster.NOT_WHOLE;
    Restart restart = restart(kept);
    SessionRegistry restarted = restart.registry();
    SessionRecovery.Result r = restart.result();
    assertEquals(1, r.redirects());
    assertEquals(0, r.redirectsOver());
    Session back = restarted.get("c");
    fixture.clock.advance(REDIRECT_MILLIS);
    fixture.inSession(back, () -> back.deliver(delivery(5, 1)));
    assertEquals(List.of("n2:5:1"), onLoop(() -> List.copyOf(fixture.cluster.redirects)));

    endsOnceTheClusterIsWhole(back, kept);
  }

  /**
   * On a running node too, a redirect goes on past its redirect time while a peer is away (a
   * peer declared dead may come back and send it again a forward it had not seen acknowledged),
   * and ends the late-redirect time after the move at the latest. Before, it ended once the
   * cluster was settled, a dead peer counting as settled: what that peer sent again was lost.
   */
  @Test
  void aRunningNodesRedirectGoesOnWhileAPeerIsAwayUpToTheLateRedirectTime() throws Exception {
    long movedAt = fixture.clock.millis();
    fixture.cluster.wholeForMillis = Cluster.NOT_WHOLE;
    Session s = movedToN2();
    fixture.advance(s, 3 * REDIRECT_MILLIS);
    fixture.inSession(s, () -> s.deliver(delivery(5, 1)));
    assertEquals(List.of("n2:5:1"), onLoop(() -> List.copyOf(fixture.cluster.redirects)));

    fixture.advance(s, movedAt + LATE_REDIRECT_MILLIS - fixture.clock.millis());
    assertTrue(onLoop(s::isEnded));
    assertEquals(List.of(), store.redirects(), "the store let it go");
  }

  /**
   * Brought back with the cluster never whole, the redirect still ends the late-redirect time
   * after the move: the new owner's window for second copies is sure to have closed by then.
   */
  @Test
  void aRecoveredRedirectEndsTheLateRedirectTimeAfterTheMoveThoughTheClusterIsNotWhole()
      throws Exception {
    long movedAt = fixture.clock.millis();
    movedToN2();
    RecordingSessionStore kept = store.afterKill();
    fixture.clock.advance(3 * REDIRECT_MILLIS);
    fixture.cluster.wholeForMillis = Cluster.NOT_WHOLE;
    Restart restart = restart(kept);
    SessionRegistry restarted = restart.registry();
    assertEquals(1, restart.result().redirects());
    Session back = restarted.get("c");

    fixture.advance(back, movedAt + LATE_REDIRECT_MILLIS - 1 - fixture.clock.millis());
    fixture.inSession(back, () -> back.deliver(delivery(5, 1)));
    assertEquals(List.of("n2:5:1"), onLoop(() -> List.copyOf(fixture.cluster.redirects)));
    fixture.advance(back, 1);
    assertTrue(onLoop(back::isEnded));
    assertEquals(List.of(), kept.redirects(), "the store let it go");
  }

  /**
   * Brought back while a peer is away for longer than dead-after (declared dead, the cluster not
   * whole), the redirect goes on: that peer may come
   * back within the late-redirect time (from its store, or from a partition) and send it again
   * a forward it had not seen acknowledged. It ends once the cluster is whole.
   */
  @Test
  void aRecoveredRedirectGoesOnWhileAPeerDeclaredDeadMayStillSendItAgain() throws Exception {
    movedToN2();
    RecordingSessionStore kept = store.afterKill();
    fixture.clock.advance(3 * REDIRECT_MILLIS);
    fixture.cluster.wholeForMillis = Cluster.NOT_WHOLE;
    Restart restart = restart(kept);
    SessionRegistry restarted = restart.registry();
    assertEquals(1, restart.result().redirects());
    Session back = restarted.get("c");

    fixture.clock.advance(REDIRECT_MILLIS);
    fixture.inSession(back, () -> back.deliver(delivery(5, 1)));
    assertEquals(List.of("n2:5:1"), onLoop(() -> List.copyOf(fixture.cluster.redirects)),
        "what the peer sent again, back, reaches the client");

    endsOnceTheClusterIsWhole(back, kept);
  }

  /**
   * Down for the whole late-redirect time: the redirect ends at recovery, counted, and the store
   * lets it go; what reaches this node for the client then finds no session here, as without a
   * store.
   */
  @Test
  void aRedirectWhoseLateRedirectTimeEndedWhileTheNodeWasDownEndsAtRecovery() throws Exception {
    movedToN2();
    RecordingSessionStore kept = store.afterKill();
    fixture.clock.advance(LATE_REDIRECT_MILLIS);
    Restart restart = restart(kept);
    SessionRegistry restarted = restart.registry();
    SessionRecovery.Result r = restart.result();
    assertEquals(0, r.redirects());
    assertEquals(1, r.redirectsOver());
    assertNull(onLoop(() -> restarted.get("c")));
    assertEquals(List.of(), kept.redirects(), "the store let it go");
  }

  /**
   * A connection of the client attaching here replaces the redirect: the store lets it go, also
   * when the session is not stored then (Session Expiry 0), so nothing writes the client's
   * session over it.
   */
  @Test
  void aConnectionAttachingToTheRedirectEndsItInTheStore() throws Exception {
    Session s = movedToN2();
    List<Boolean> present = fixture.connect(s, new FakeConnection(loop), false, 0, null);
    assertEquals(List.of(false), onLoop(() -> List.copyOf(present)));
    assertFalse(onLoop(s::isMoved));
    assertEquals(List.of(), store.redirects());
    assertNull(store.session("c"));
  }

  /**
   * A stored session keeps its lineage across a restart: a delivery redirected for the session a
   * clean start replaced is dropped, one for it taken (see {@link RedirectLineageTest}).
   */
  @Test
  void aStoredSessionKeepsItsLineageAcrossARestart() throws Exception {
    offline(fixture.registry(""));

    RecordingSessionStore kept = store.afterKill();
    SessionRegistry restarted = restart(kept).registry();
    Session back = restarted.get("c");
    fixture.inSession(back, () -> back.deliverRedirected(delivery(5, 1), 1, LINEAGE - 2, null));
    assertEquals(0, onLoop(back::queuedCount), "for the session a clean start replaced");
    fixture.inSession(back, () -> back.deliverRedirected(delivery(6, 1), 1, LINEAGE, null));
    assertEquals(1, onLoop(back::queuedCount));
  }

  /**
   * Session c, stored, subscribed to t, made by a clean start under claim {@link #LINEAGE}, its
   * client gone since.
   */
  private Session offline(SessionRegistry registry) throws Exception {
    FakeConnection conn = new FakeConnection(loop);
    return onLoop(() -> {
      Session s = registry.claim("c", loop, false);
      s.attach(conn, true, 60, null, null, LINEAGE);
      s.subscribe("t", SUBSCRIBED.get("t"));
      s.resumeDelivery();
      s.detach(conn, true);
      return s;
    });
  }

  /** Session c ({@link #offline}) moves to n2 and redirects there. */
  private Session movedToN2() throws Exception {
    Session s = offline(fixture.registry(""));
    HandOver h = fixture.handOver(s);
    fixture.inSession(s, () -> h.confirm("n2"));
    assertTrue(onLoop(s::isMoved));
    return s;
  }

  /** A node restarted on what {@code kept} holds: its registry, and what recovery found. */
  private record Restart(SessionRegistry registry, SessionRecovery.Result result) {}

  private Restart restart(RecordingSessionStore kept) throws Exception {
    SessionRegistry restarted = fixture.registry("", (d, id, hops, r) -> { }, kept);
    return new Restart(restarted, SessionRecovery.run(kept, restarted, List.of(loop)));
  }

  /** The cluster becomes whole: the recovered redirect {@code back} ends, the store lets it go. */
  private void endsOnceTheClusterIsWhole(Session back, RecordingSessionStore kept)
      throws Exception {
    fixture.cluster.wholeForMillis = 0;
    fixture.clock.advance(1_000);
    fixture.inSession(back, () -> { });
    assertTrue(onLoop(back::isEnded));
    assertEquals(List.of(), kept.redirects(), "the store let it go");
  }

  private <T> T onLoop(Callable<T> task) throws Exception {
    return fixture.onLoop(task);
  }
}

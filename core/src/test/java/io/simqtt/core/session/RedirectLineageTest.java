package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.channel.DefaultEventLoop;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.message.Message;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.topic.SubscriptionOptions;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A redirected delivery names the lineage of the session it is for (the hybrid clock of the
 * claim whose connection created that session, carried with it through every hand-over), and a
 * session of another lineage, because its client started clean meanwhile (MQTT 3.1.2.4), does
 * not take it: the client never gets a message for a session that was discarded, on a topic its
 * new session never subscribed to; the same session takes it wherever it went meanwhile. Nodes
 * n1 (the first owner), n2 and n3 are each a registry and a router on one event loop; the cluster
 * records what is redirected, which the test hands to the node it was for, as a peer link would.
 * Deterministic: no sockets, no timers reached.
 */
class RedirectLineageTest {
  private static final SubscriptionOptions QOS1 = new SubscriptionOptions(1, false, false, 0, 0);
  /** The hybrid clocks of the claims: c's connect that created its session on n1, then moves. */
  private static final long CREATED = 5;
  private static final long MOVE_TO_N2 = 7;
  private static final long CLEAN_ON_N2 = 9;
  private static final long MOVE_TO_N3 = 11;
  private static final long BACK_TO_N2 = 13;

  private final DefaultEventLoop loop = new DefaultEventLoop();
  private final BrokerMetrics metrics = new BrokerMetrics();
  private final RecordingCluster cluster = new RecordingCluster();
  private final RoutedNode n1 = new RoutedNode("n1", metrics, cluster);
  private final RoutedNode n2 = new RoutedNode("n2", metrics, cluster);
  private final RoutedNode n3 = new RoutedNode("n3", metrics, cluster);

  @AfterEach
  void stop() {
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  @Test
  void whatTheOldNodeRedirectsForTheSessionAClientStartedCleanOverIsDropped() throws Exception {
    Session old = connect(n1, false, null, CREATED);
    move(old, n2, new FakeConnection(loop), MOVE_TO_N2);
    // The client starts clean on n2: a new session, no subscriptions.
    FakeConnection clean = new FakeConnection(loop);
    attach(n2, clean, true, null, CLEAN_ON_N2);

    // A message published on n1 matching the old session's filter reaches its redirect.
    onLoop(() -> {
      n1.router.publish(message(1));
      return null;
    });
    assertEquals(List.of("n2:1:1"), onLoop(() -> List.copyOf(cluster.redirects)));
    assertEquals(List.of(CREATED), onLoop(() -> List.copyOf(cluster.lineages)));
    arriveOn(n2, 0);

    assertEquals(List.of(), onLoop(clean::publishedNumbers), "not for the session it has now");
    assertEquals(1, metrics.drops(DropReason.SESSION_GONE));
  }

  @Test
  void whatIsRedirectedForASessionAClientResumedIsDelivered() throws Exception {
    Session old = connect(n1, false, null, CREATED);
    move(old, n2, new FakeConnection(loop), MOVE_TO_N2);
    // The client connects again to n2 without Clean Start: the same session, resumed.
    FakeConnection resumed = new FakeConnection(loop);
    attach(n2, resumed, false, null, CLEAN_ON_N2);

    deliverOn(old, 1);
    arriveOn(n2, 0);
    // A sender from before the lineage was named (0) is taken as before.
    onLoop(() -> {
      n2.router.deliverRedirected("c", delivery(message(2), null), 1, 0, null);
      return null;
    });

    assertEquals(List.of(1, 2), onLoop(resumed::publishedNumbers));
    assertEquals(0, metrics.drops(DropReason.SESSION_GONE));
  }

  @Test
  void aSessionThatMovedOnPassesARedirectOnNamingItsLineage() throws Exception {
    Session old = connect(n1, false, null, CREATED);
    Session onN2 = move(old, n2, new FakeConnection(loop), MOVE_TO_N2);
    FakeConnection onN3 = new FakeConnection(loop);
    move(onN2, n3, onN3, MOVE_TO_N3);

    deliverOn(old, 1);
    arriveOn(n2, 0);
    assertEquals(List.of("n2:1:1", "n3:1:2"), onLoop(() -> List.copyOf(cluster.redirects)));
    assertEquals(List.of(CREATED, CREATED), onLoop(() -> List.copyOf(cluster.lineages)));
    arriveOn(n3, 1);
    assertEquals(List.of(1), onLoop(onN3::publishedNumbers), "two moves, still delivered");

    // Another lineage's is not for the session n2's redirect is for: dropped there.
    onLoop(() -> {
      n2.router.deliverRedirected("c", delivery(message(2), null), 1, CLEAN_ON_N2, null);
      return null;
    });
    assertEquals(2, onLoop(cluster.redirects::size));
    assertEquals(1, metrics.drops(DropReason.SESSION_GONE));
  }

  /**
   * The session goes n1 to n2 to n3 and back to n2 within the redirect time: it is the same
   * session on n2, so what n1 still redirects there (a forward a peer sends n1 again, a message
   * published there) reaches the client.
   */
  @Test
  void aSessionBackOnANodeItLeftTakesWhatTheFirstOldNodeStillRedirects() throws Exception {
    Session old = connect(n1, false, null, CREATED);
    Session onN2 = move(old, n2, new FakeConnection(loop), MOVE_TO_N2);
    Session onN3 = move(onN2, n3, new FakeConnection(loop), MOVE_TO_N3);
    FakeConnection back = new FakeConnection(loop);
    move(onN3, n2, back, BACK_TO_N2);

    deliverOn(old, 1);
    assertEquals(List.of("n2:1:1"), onLoop(() -> List.copyOf(cluster.redirects)));
    arriveOn(n2, 0);

    assertEquals(List.of(1), onLoop(back::publishedNumbers), "the same session, back on n2");
    assertEquals(0, metrics.drops(DropReason.SESSION_GONE));
  }

  /**
   * A healed partition: c connected to n2 while n1 was out of reach, and n2 made a session of
   * its own. n1's session yields to it: what it holds, and what reaches it later, goes there
   * naming no lineage, and the client gets it, as it did before redirects named one.
   */
  @Test
  void whatASessionYieldsToALaterOwnersSessionOfAnotherLineageArrives() throws Exception {
    Session old = connect(n1, false, null, CREATED);
    deliverOn(old, 1);
    FakeConnection onN2 = new FakeConnection(loop);
    connect(n2, onN2, false, null, MOVE_TO_N2);

    onLoop(() -> {
      old.yieldTo("n2");
      return null;
    });
    deliverOn(old, 2);
    assertEquals(List.of("n2:1:1", "n2:2:1"), onLoop(() -> List.copyOf(cluster.redirects)));
    assertEquals(List.of(0L, 0L), onLoop(() -> List.copyOf(cluster.lineages)));
    arriveOn(n2, 0);
    arriveOn(n2, 1);

    assertEquals(List.of(1, 2), onLoop(onN2::publishedNumbers));
  }

  /**
   * c's session ended on n2 (here: a clean start on n1 ended it), and c connects to n2 again
   * without Clean Start, finding no session: a new one. The session {@code registry.claim} makes
   * for that connection exists before its attach runs; what n1's redirect passes on for the old
   * session in between is not for the new one either.
   */
  @Test
  void whatIsRedirectedForAnEndedSessionBeforeANewOnesAttachIsNotForIt() throws Exception {
    Session old = connect(n1, false, null, CREATED);
    Session onN2 = move(old, n2, new FakeConnection(loop), MOVE_TO_N2);
    CompletableFuture<HandOver> none = new CompletableFuture<>();
    onLoop(() -> {
      onN2.handOver(true, none); // a clean start elsewhere ends it here
      return null;
    });
    assertEquals(null, none.get(5, TimeUnit.SECONDS));
    assertEquals(null, onLoop(() -> n2.registry.get("c")), "ended, and gone from n2");

    FakeConnection again = new FakeConnection(loop);
    Session fresh = onLoop(() -> n2.registry.claim("c", loop, false));
    deliverOn(old, 1);
    arriveOn(n2, 0);
    onLoop(() -> {
      fresh.attach(again, false, SessionExpiry.NEVER, null, null, CLEAN_ON_N2);
      fresh.resumeDelivery();
      return null;
    });

    assertEquals(List.of(), onLoop(again::publishedNumbers), "not for the session it has now");
    assertEquals(1, metrics.drops(DropReason.SESSION_GONE));
  }

  @Test
  void aSharedDeliveryForASessionAClientStartedCleanOverGoesToAnotherMemberOfItsGroup()
      throws Exception {
    Session old = connect(n1, false, null, CREATED);
    move(old, n2, new FakeConnection(loop), MOVE_TO_N2);
    FakeConnection clean = new FakeConnection(loop);
    attach(n2, clean, true, null, CLEAN_ON_N2);
    FakeConnection other = new FakeConnection(loop);
    onLoop(() -> {
      Session o = n2.registry.claim("o", loop, false);
      o.attach(other, false, SessionExpiry.NEVER, null, null, 1);
      o.subscribe("$share/g/t", QOS1);
      o.resumeDelivery();
      return null;
    });

    onLoop(() -> {
      n2.router.deliverRedirected("c", delivery(message(3), "$share/g/t"), 1, CREATED, null);
      return null;
    });

    assertEquals(List.of(), onLoop(clean::publishedNumbers));
    assertEquals(List.of(3), onLoop(other::publishedNumbers), "another member has it");
  }

  // ---- helpers ----

  /** Client c connects to {@code node}, subscribed to t. */
  private Session connect(RoutedNode node, boolean cleanStart, SessionSnapshot state, long stamp)
      throws Exception {
    return connect(node, new FakeConnection(loop), cleanStart, state, stamp);
  }

  private Session connect(
      RoutedNode node, FakeConnection c, boolean cleanStart, SessionSnapshot state, long stamp)
      throws Exception {
    Session s = attach(node, c, cleanStart, state, stamp);
    onLoop(() -> {
      if (state == null) {
        s.subscribe("t", QOS1);
      }
      return null;
    });
    return s;
  }

  /** Client c's connection {@code c} attaches on {@code node} under claim {@code stamp}. */
  private Session attach(
      RoutedNode node, FakeConnection c, boolean cleanStart, SessionSnapshot state, long stamp)
      throws Exception {
    return onLoop(() -> {
      Session s = node.registry.claim("c", loop, state != null);
      s.attach(c, cleanStart, SessionExpiry.NEVER, null, state, stamp);
      s.resumeDelivery();
      return s;
    });
  }

  /**
   * Client c's connection {@code c} on {@code to} under claim {@code stamp} takes {@code from}'s
   * state, which the node it left confirms: {@code from} is a redirect to {@code to}.
   */
  private Session move(Session from, RoutedNode to, FakeConnection c, long stamp)
      throws Exception {
    HandOver h = handOver(from);
    Session s = connect(to, c, false, h.state(), stamp);
    h.confirm(to.nodeId);
    return s;
  }

  private HandOver handOver(Session s) throws Exception {
    CompletableFuture<HandOver> h = new CompletableFuture<>();
    onLoop(() -> {
      s.handOver(false, h);
      return null;
    });
    return h.get(5, TimeUnit.SECONDS);
  }

  private void deliverOn(Session s, int n) throws Exception {
    onLoop(() -> {
      s.deliver(delivery(message(n), null));
      return null;
    });
  }

  /** The {@code i}th redirect recorded arrives on {@code node}, as its peer link hands it over. */
  private void arriveOn(RoutedNode node, int i) throws Exception {
    onLoop(() -> {
      String[] r = cluster.redirects.get(i).split(":");
      node.router.deliverRedirected(
          "c",
          delivery(message(Integer.parseInt(r[1])), null),
          Integer.parseInt(r[2]),
          cluster.lineages.get(i),
          null);
      return null;
    });
  }

  private static Delivery delivery(Message m, String sharedGroup) {
    return new Delivery(m, 1, false, new int[0], sharedGroup);
  }

  private static Message message(int n) {
    return new Message(
        "t", new byte[] {(byte) n}, 1, false, MqttProperties.NONE, 0, "pub", "n1", 1000 + n);
  }

  private <T> T onLoop(Callable<T> task) throws Exception {
    return loop.submit(task).get(5, TimeUnit.SECONDS);
  }
}

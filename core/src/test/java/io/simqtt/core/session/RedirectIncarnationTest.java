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
 * A redirected delivery names the incarnation of the session it is for on the node it goes to
 * (the hybrid clock of the claim that installed the session there), and a session that is
 * another incarnation, because its client started clean meanwhile (MQTT 3.1.2.4), does not take
 * it: the client never gets a message for a session that was discarded, on a topic its new
 * session never subscribed to. Nodes n1 (the old owner), n2 and n3 are each a registry and a
 * router on one event loop; the cluster records what is redirected, which the test hands to the
 * node it was for, as a peer link would. Deterministic: no sockets, no timers reached.
 */
class RedirectIncarnationTest {
  private static final SubscriptionOptions QOS1 = new SubscriptionOptions(1, false, false, 0, 0);
  /** The hybrid clocks of the claims: the move to n2, the clean start there, the move to n3. */
  private static final long MOVE_TO_N2 = 7;
  private static final long CLEAN_ON_N2 = 9;
  private static final long MOVE_TO_N3 = 11;

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
  void whatTheOldNodeRedirectsForTheIncarnationAClientStartedCleanOverIsDropped()
      throws Exception {
    Session old = connect(n1, false, null, 1);
    HandOver h = handOver(old);
    FakeConnection onN2 = new FakeConnection(loop);
    connect(n2, onN2, false, h.state(), MOVE_TO_N2);
    h.confirm("n2", MOVE_TO_N2);
    // The client starts clean on n2: a new session, no subscriptions.
    FakeConnection clean = new FakeConnection(loop);
    attach(n2, clean, true, null, CLEAN_ON_N2);

    // A message published on n1 matching the old session's filter reaches its redirect.
    onLoop(() -> {
      n1.router.publish(message(1));
      return null;
    });
    assertEquals(List.of("n2:1:1"), onLoop(() -> List.copyOf(cluster.redirects)));
    assertEquals(List.of(MOVE_TO_N2), onLoop(() -> List.copyOf(cluster.incarnations)));
    arriveOn(n2, 0);

    assertEquals(List.of(), onLoop(clean::publishedNumbers), "not for the session it has now");
    assertEquals(1, metrics.drops(DropReason.SESSION_GONE));
  }

  @Test
  void whatIsRedirectedForTheIncarnationAClientResumedIsDelivered() throws Exception {
    Session old = connect(n1, false, null, 1);
    HandOver h = handOver(old);
    connect(n2, new FakeConnection(loop), false, h.state(), MOVE_TO_N2);
    h.confirm("n2", MOVE_TO_N2);
    // The client connects again to n2 without Clean Start: the same session, resumed.
    FakeConnection resumed = new FakeConnection(loop);
    attach(n2, resumed, false, null, CLEAN_ON_N2);

    deliverOn(old, 1);
    arriveOn(n2, 0);
    // A sender from before the incarnation was named (0) is taken as before.
    onLoop(() -> {
      n2.router.deliverRedirected("c", delivery(message(2), null), 1, 0, null);
      return null;
    });

    assertEquals(List.of(1, 2), onLoop(resumed::publishedNumbers));
    assertEquals(0, metrics.drops(DropReason.SESSION_GONE));
  }

  @Test
  void aSessionThatMovedOnPassesARedirectOnForTheIncarnationItMovedTo() throws Exception {
    Session old = connect(n1, false, null, 1);
    HandOver first = handOver(old);
    Session onN2 = connect(n2, new FakeConnection(loop), false, first.state(), MOVE_TO_N2);
    first.confirm("n2", MOVE_TO_N2);
    HandOver second = handOver(onN2);
    FakeConnection onN3 = new FakeConnection(loop);
    connect(n3, onN3, false, second.state(), MOVE_TO_N3);
    second.confirm("n3", MOVE_TO_N3);

    deliverOn(old, 1);
    arriveOn(n2, 0);
    assertEquals(List.of("n2:1:1", "n3:1:2"), onLoop(() -> List.copyOf(cluster.redirects)));
    assertEquals(
        List.of(MOVE_TO_N2, MOVE_TO_N3), onLoop(() -> List.copyOf(cluster.incarnations)));
    arriveOn(n3, 1);
    assertEquals(List.of(1), onLoop(onN3::publishedNumbers), "two moves, still delivered");

    // n2's redirect is not the incarnation this one names: dropped there, not passed on.
    onLoop(() -> {
      n2.router.deliverRedirected("c", delivery(message(2), null), 1, CLEAN_ON_N2, null);
      return null;
    });
    assertEquals(2, onLoop(cluster.redirects::size));
    assertEquals(1, metrics.drops(DropReason.SESSION_GONE));
  }

  @Test
  void aSharedDeliveryForAReplacedIncarnationGoesToAnotherMemberOfItsGroup() throws Exception {
    Session old = connect(n1, false, null, 1);
    HandOver h = handOver(old);
    connect(n2, new FakeConnection(loop), false, h.state(), MOVE_TO_N2);
    h.confirm("n2", MOVE_TO_N2);
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
      n2.router.deliverRedirected(
          "c", delivery(message(3), "$share/g/t"), 1, MOVE_TO_N2, null);
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
          cluster.incarnations.get(i),
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

package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.message.Message;
import io.simqtt.core.routing.DeliveryReceipt;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A stored session's will stays in the store until its copies are: the session's record drops
 * the will (or the session is deleted) as the will goes out, and the subscribers write their
 * copies on their own loops afterwards, so the store's writer can put the two into different
 * batches. Here the routing hands nothing out until the test says so, and a kill -9 is taken
 * right after the session's write: before, the will was then in neither the record nor a copy,
 * and the restart lost it; now the restart publishes it again. Once its copies are durable the
 * kept will goes, and a restart does not send it again.
 */
class WillDurabilityTest {
  private static final long HOUR = 3600;
  @RegisterExtension final StoredSessionFixture fixture = new StoredSessionFixture();
  private final RecordingSessionStore store = fixture.store;

  /** A will as the router was given it, with the receipt it counts the copies on. */
  private record Routed(Message will, DeliveryReceipt receipt) {}

  private final List<Routed> routed = new CopyOnWriteArrayList<>();

  @Test
  void aWillDueAtDisconnectIsSentAgainAfterAKillBeforeItsCopiesAreWritten() throws Exception {
    offlineWithWill("dying", HOUR, 0);
    assertEquals(List.of("will/dying"), topics(routed));
    assertNull(store.session("dying").will(), "the record dropped the will as it went out");

    assertEquals(List.of("will/dying"), topics(restartFrom(store.copy())),
        "the will is not in the record and no copy was written: the store kept it");
  }

  @Test
  void aWillDueAfterItsDelayIsSentAgainAfterAKillBeforeItsCopiesAreWritten() throws Exception {
    offlineWithWill("dying", HOUR, 5);
    assertTrue(routed.isEmpty(), "not before its delay");
    fixture.clock.advance(5_000);
    onLoop(() -> null); // the timer's task ran
    assertEquals(List.of("will/dying"), topics(routed));
    assertNull(store.session("dying").will());

    assertEquals(List.of("will/dying"), topics(restartFrom(store.copy())));
  }

  @Test
  void aWillOfAnEndedSessionIsSentAgainAfterAKillBeforeItsCopiesAreWritten() throws Exception {
    Session s = offlineWithWill("dying", HOUR, HOUR);
    onLoop(() -> s.kick(true)); // the session ends now, its will with it
    assertEquals(List.of("will/dying"), topics(routed));
    assertNull(store.session("dying"), "the session is deleted");

    assertEquals(List.of("will/dying"), topics(restartFrom(store.copy())));
  }

  @Test
  void aWillLeavesTheStoreOnlyOnceItsCopiesAreDurableAndIsThenNotSentAgain() throws Exception {
    offlineWithWill("dying", HOUR, 0);
    store.hold();
    Routed r = routed.get(0);
    // What the router does for one stored subscriber: counted, taken with its entry written.
    r.receipt().expect();
    r.receipt().routed();
    r.receipt().taken(true);
    assertEquals(1, store.dueWills().size(), "kept while the copy is not durable");
    assertEquals(List.of("will/dying"), topics(restartFrom(store.afterKill())));

    store.makeDurable(); // the copy: the kept will's removal is written
    assertEquals(List.of(), store.dueWills());
    store.makeDurable(); // and the removal
    assertEquals(List.of(), topics(restartFrom(store.afterKill())), "not sent again");
  }

  @Test
  void aWillNobodyStoresLeavesTheStoreOnceRouted() throws Exception {
    offlineWithWill("dying", HOUR, 0);
    routed.get(0).receipt().routed(); // no target, or none that writes
    assertEquals(List.of(), store.dueWills());
    assertEquals(List.of(new RecordingSessionStore.Call("removeWill", "dying", "1")),
        store.calls("removeWill", "dying"));
  }

  /** Client {@code id} with a stored session (expiry {@code expiry} s), offline, its will set. */
  private Session offlineWithWill(String id, long expiry, long willDelay) throws Exception {
    SessionRegistry registry =
        fixture.registry("", (m, r) -> routed.add(new Routed(m, r)), store);
    FakeConnection c = new FakeConnection(fixture.loop);
    return onLoop(() -> {
      Session s = registry.claim(id, fixture.loop, false);
      s.attach(c, false, expiry, will("will/" + id, willDelay), null, 0);
      s.resumeDelivery();
      s.detach(c, true);
      return s;
    });
  }

  /** The wills a node restarted from {@code afterKill} publishes as it starts. */
  private List<Routed> restartFrom(RecordingSessionStore afterKill) {
    List<Routed> published = new CopyOnWriteArrayList<>();
    SessionRegistry restarted =
        fixture.registry("", (m, r) -> published.add(new Routed(m, r)), afterKill);
    SessionRecovery.run(afterKill, restarted, List.of(fixture.loop));
    return published;
  }

  private static List<String> topics(List<Routed> wills) {
    return wills.stream().map(r -> r.will().topic()).toList();
  }

  private static Will will(String topic, long delaySeconds) {
    Message m = new Message(topic, "bye".getBytes(StandardCharsets.UTF_8), 1, false,
        MqttProperties.empty(), 0, "");
    return new Will(m, delaySeconds, 0);
  }

  private <T> T onLoop(Callable<T> task) throws Exception {
    return fixture.onLoop(task);
  }
}

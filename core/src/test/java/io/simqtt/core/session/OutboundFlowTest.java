package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.config.SettingsLoader;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.PacketType;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.message.Message;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.metrics.DropReason;
import java.util.List;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * {@link OutboundFlow} alone, without sockets or threads: a fake connection records what is
 * written, the window is {@code mqtt.sessions.max-inflight}, the clock is moved by hand.
 */
class OutboundFlowTest {
  private static final long T0 = 1_000_000;

  private final BrokerMetrics metrics = new BrokerMetrics();
  private final ManualClock clock = new ManualClock(T0);

  private OutboundFlow flow(String hocon) {
    return new OutboundFlow(
        new SessionContext(
            SettingsLoader.fromString(hocon).mqtt().sessions(),
            null,
            null,
            metrics,
            clock,
            null,
            null,
            0,
            0,
            null,
            SessionStore.MEMORY));
  }

  private OutboundFlow flow() {
    return flow("mqtt.sessions { max-inflight = 2, max-queued-messages = 3 }");
  }

  @Test
  void aFullWindowQueuesAndAcknowledgementsDrainTheQueueInOrder() {
    OutboundFlow f = flow();
    FakeConnection c = new FakeConnection(null);
    for (int n = 1; n <= 4; n++) {
      f.deliver(delivery(n, 1), c);
    }
    assertEquals(List.of(1, 2), c.publishedNumbers(), "two in flight: the window");
    assertEquals(2, f.inflightCount());
    assertEquals(2, f.queuedCount());

    f.onPubAck(1, c);
    assertEquals(List.of(1, 2, 3), c.publishedNumbers());
    f.onPubAck(1, c); // a second PUBACK for a free id changes nothing
    f.onPubAck(2, c);
    assertEquals(List.of(1, 2, 3, 4), c.publishedNumbers());
    assertEquals(List.of(1, 2, 3, 4), c.publishedIds());
    assertEquals(0, f.queuedCount());
  }

  @Test
  void withoutAConnectionEverythingQueuesAndTheBoundDropsCounted() {
    OutboundFlow f = flow();
    for (int n = 1; n <= 5; n++) {
      f.deliver(delivery(n, 1), null);
    }
    assertEquals(3, f.queuedCount(), "max-queued-messages");
    assertEquals(2, metrics.drops(DropReason.QUEUE_FULL));
    FakeConnection c = new FakeConnection(null);
    f.resume(c);
    f.onPubAck(1, c);
    assertEquals(List.of(1, 2, 3), c.publishedNumbers(), "the newest were dropped");
  }

  @Test
  void dropOldestKeepsTheNewestAndCountsTheDrops() {
    OutboundFlow f =
        flow("mqtt.sessions { max-queued-messages = 3, queue-overflow = drop-oldest }");
    for (int n = 1; n <= 5; n++) {
      f.deliver(delivery(n, 1), null);
    }
    assertEquals(2, metrics.drops(DropReason.QUEUE_FULL));
    FakeConnection c = new FakeConnection(null);
    f.resume(c);
    assertEquals(List.of(3, 4, 5), c.publishedNumbers());
  }

  @Test
  void qos0GoesOutOnlyToAWritableSocketAndIsNeverQueued() {
    OutboundFlow f = flow();
    FakeConnection c = new FakeConnection(null);
    f.deliver(delivery(1, 0), c);
    f.deliver(delivery(2, 0), null);
    c.writable = false;
    f.deliver(delivery(3, 0), c);
    assertEquals(List.of(1), c.publishedNumbers());
    assertEquals(List.of(0), c.publishedIds());
    assertEquals(0, f.queuedCount());
    assertEquals(2, metrics.drops(DropReason.QOS0_NOT_DELIVERABLE));
  }

  @Test
  void aResumeResendsUnacknowledgedPublishesInOrderWithDupWithinTheNewWindow() {
    OutboundFlow f = flow();
    FakeConnection first = new FakeConnection(null);
    for (int n = 1; n <= 3; n++) {
      f.deliver(delivery(n, 1), first);
    }
    assertEquals(List.of(1, 2), first.publishedIds());

    FakeConnection second = new FakeConnection(null);
    f.deliver(delivery(4, 1), null); // arrives while the client is away
    f.resume(second);
    assertEquals(List.of(1, 2), second.publishedIds(), "the same ids again, window of two");
    assertEquals(List.of(true, true), dups(second));

    second.sent.clear();
    f.onPubAck(1, second);
    f.onPubAck(2, second);
    assertEquals(List.of(3, 4), second.publishedNumbers(), "then the queue, in order");
    assertEquals(List.of(false, false), dups(second));
  }

  @Test
  void resendsDoNotOvertakeEachOtherWhenTheWindowShrinks() {
    OutboundFlow f = flow("mqtt.sessions.max-inflight = 3");
    FakeConnection first = new FakeConnection(null);
    for (int n = 1; n <= 3; n++) {
      f.deliver(delivery(n, 1), first);
    }
    OutboundFlow smaller = flow("mqtt.sessions.max-inflight = 1");
    smaller.restore(f.freeze().state());
    FakeConnection second = new FakeConnection(null);
    smaller.resume(second);
    smaller.deliver(delivery(4, 1), second);
    assertEquals(List.of(1), second.publishedNumbers());
    // Only acknowledging the resent one frees room on the wire: one in flight at a time.
    smaller.onPubAck(1, second);
    assertEquals(List.of(1, 2), second.publishedNumbers());
    smaller.onPubAck(2, second);
    smaller.onPubAck(3, second);
    assertEquals(List.of(1, 2, 3, 4), second.publishedNumbers());
  }

  @Test
  void packetIdsWrapAfter65535AndSkipIdsStillInFlight() {
    OutboundFlow f = flow("mqtt.sessions.max-inflight = 10");
    Delivery held = delivery(9, 1);
    f.restore(
        new OutboundState(List.of(new InflightMessage(1, held, false)), List.of(), 65_534));
    FakeConnection c = new FakeConnection(null);
    f.resume(c);
    c.sent.clear();
    f.deliver(delivery(1, 1), c);
    f.deliver(delivery(2, 1), c);
    f.deliver(delivery(3, 1), c);
    assertEquals(List.of(65_535, 2, 3), c.publishedIds(), "1 is still in flight");
  }

  @Test
  void qos2GoesPublishPubrecPubrelPubcompAndAReleasedOneIsResentAsPubrel() {
    OutboundFlow f = flow("mqtt.sessions.max-inflight = 1");
    FakeConnection c = new FakeConnection(null);
    f.deliver(delivery(1, 2), c);
    f.deliver(delivery(2, 2), c);
    assertEquals(List.of(1), c.publishedIds());

    f.onPubComp(1, c); // before PUBREC: not the awaited packet
    assertEquals(1, f.inflightCount());
    f.onPubRec(1, ReasonCode.SUCCESS, c);
    assertEquals(new PubResponse(PacketType.PUBREL, 1, ReasonCode.SUCCESS, MqttProperties.NONE),
        last(c));
    assertEquals(1, f.inflightCount(), "PUBCOMP is awaited: the window stays full");
    f.onPubAck(1, c); // a PUBACK does not end a QoS 2 exchange
    assertEquals(1, f.inflightCount());

    FakeConnection again = new FakeConnection(null);
    f.resume(again);
    assertEquals(
        List.of(new PubResponse(PacketType.PUBREL, 1, ReasonCode.SUCCESS, MqttProperties.NONE)),
        again.sent,
        "the released message goes again as PUBREL only");

    f.onPubComp(1, again);
    assertEquals(List.of(2), again.publishedIds(), "the window freed: the next one goes");
    assertEquals(1, f.inflightCount());
  }

  @Test
  void pubrecForAnUnknownIdIsAnsweredNotFoundAndARefusingPubrecEndsTheExchange() {
    OutboundFlow f = flow("mqtt.sessions.max-inflight = 1");
    FakeConnection c = new FakeConnection(null);
    f.onPubRec(7, ReasonCode.SUCCESS, c);
    assertEquals(
        new PubResponse(
            PacketType.PUBREL, 7, ReasonCode.PACKET_IDENTIFIER_NOT_FOUND, MqttProperties.NONE),
        last(c));

    f.deliver(delivery(1, 2), c);
    f.deliver(delivery(2, 2), c);
    f.onPubRec(1, ReasonCode.UNSPECIFIED_ERROR, c);
    assertEquals(List.of(1, 2), c.publishedNumbers(), "the next message goes");
    assertEquals(1, c.sent.stream().filter(p -> p instanceof PubResponse).count(), "no PUBREL");
    assertEquals(1, f.inflightCount());
  }

  @Test
  void expiredAndTooLargeMessagesAreDroppedAndCounted() {
    OutboundFlow f = flow();
    f.deliver(delivery(1, 1, T0 + 1_000), null);
    f.deliver(delivery(2, 1, T0 + 5_000), null);
    f.deliver(delivery(3, 1, T0), new FakeConnection(null));
    assertEquals(1, metrics.drops(DropReason.EXPIRED), "expired on arrival");

    clock.advance(2_000);
    FakeConnection c = new FakeConnection(null);
    f.resume(c);
    assertEquals(List.of(2), c.publishedNumbers(), "1 expired in the queue");
    assertEquals(2, metrics.drops(DropReason.EXPIRED));
    Publish p = (Publish) c.sent.get(0);
    assertEquals(3, p.properties().messageExpiryInterval, "the time left, in seconds");

    c.maximumPacketSize = 5;
    f.deliver(delivery(4, 1), c);
    assertEquals(List.of(2), c.publishedNumbers());
    assertEquals(1, metrics.drops(DropReason.TOO_LARGE));
  }

  /**
   * Messages that expired while queued hold no room a live one needs: at a bound (count or
   * bytes) they leave first, counted as expired, and with drop-new the live message is queued.
   * Before, it was dropped (queue_full, queue_bytes_full) for room held by expired messages.
   */
  @Test
  void expiredMessagesGiveWayToALiveOneAtEitherBound() {
    int size = delivery(1, 1).queuedBytes();
    for (String bound :
        List.of("max-queued-messages = 3", "max-queued-bytes = " + 3 * size + "B")) {
      long full = metrics.drops(DropReason.QUEUE_FULL) + metrics.drops(DropReason.QUEUE_BYTES_FULL);
      long expired = metrics.drops(DropReason.EXPIRED);
      OutboundFlow f = flow("mqtt.sessions { max-inflight = 2, " + bound + " }");
      f.deliver(delivery(1, 1, clock.millis() + 10_000), null);
      f.deliver(delivery(2, 1, clock.millis() + 1_000), null);
      f.deliver(delivery(3, 1, clock.millis() + 1_000), null);
      clock.advance(2_000);
      f.deliver(delivery(4, 1), null);
      assertEquals(full, metrics.drops(DropReason.QUEUE_FULL)
          + metrics.drops(DropReason.QUEUE_BYTES_FULL), bound + ": a live message dropped");
      assertEquals(expired + 2, metrics.drops(DropReason.EXPIRED), bound);
      FakeConnection c = new FakeConnection(null);
      f.resume(c);
      assertEquals(List.of(1, 4), c.publishedNumbers(), bound);
    }
  }

  @Test
  void sharedDeliveriesLeaveQueuedOrUnfinishedButAReleasedQos2Stays() {
    OutboundFlow f = flow("mqtt.sessions.max-inflight = 3");
    FakeConnection c = new FakeConnection(null);
    f.deliver(shared(1, 2), c);
    f.deliver(shared(2, 1), c);
    f.deliver(delivery(3, 1), c);
    f.deliver(shared(4, 1), c);
    f.deliver(delivery(5, 1), c);
    f.onPubRec(1, ReasonCode.SUCCESS, c);

    assertEquals(List.of(4), numbers(f.takeShared(false, "c", null)), "only the queued one");
    assertEquals(List.of(2), numbers(f.takeShared(true, "c", null)), "sent and unfinished, not 1");
    OutboundState left = f.freeze().state();
    assertEquals(List.of(1, 3), numbers(left.inflight().stream()
        .map(InflightMessage::delivery).toList()));
    assertEquals(List.of(5), numbers(left.queued()));
  }

  @Test
  void aFrozenFlowRestoresIntoAnotherFlowOrThawsAheadOfWhatCameMeanwhile() {
    OutboundFlow f = flow();
    FakeConnection c = new FakeConnection(null);
    for (int n = 1; n <= 3; n++) {
      f.deliver(delivery(n, 1), c);
    }
    FrozenOutbound frozen = f.freeze();
    OutboundState state = frozen.state();
    assertEquals(new OutboundState(state.inflight(), state.queued(), 2), state);

    OutboundFlow moved = flow();
    moved.restore(state);
    assertEquals(state, moved.freeze().state());

    // A hand-over that did not happen: what froze comes back ahead of what queued meanwhile.
    f.deliver(delivery(4, 1), null);
    f.thaw(frozen);
    FakeConnection again = new FakeConnection(null);
    f.resume(again);
    f.onPubAck(1, again);
    f.onPubAck(2, again);
    assertEquals(List.of(1, 2, 3, 4), again.publishedNumbers());
    assertEquals(List.of(1, 2, 3, 4), again.publishedIds(), "ids go on from the last one");

    assertEquals(List.of(3, 4), numbers(f.takeUnfinished("c", null)));
    assertTrue(f.freeze().state().hasNoMessages());
  }

  /**
   * A flow frozen for a move holding 1 and 2 under a bound of 3 (drop-oldest): the frozen part
   * counts against it and cannot give way, so what queues meanwhile does, the oldest of it
   * first, and a new message goes when nothing of it is left to give way (a frozen part that
   * fills the bound alone). After the move is aborted the flow holds 3, within the bound, and the
   * byte bound holds the same way. Before, the flow counted only what arrived meanwhile: 5 after
   * the thaw.
   */
  @Test
  void whatQueuesWhileFrozenCountsTheFrozenPartAgainstTheBound() {
    int size = delivery(1, 1).queuedBytes();
    List<IntFunction<String>> bounds =
        List.of(n -> "max-queued-messages = " + n, n -> "max-queued-bytes = " + n * size + "B");
    for (IntFunction<String> bounded : bounds) {
      String bound = bounded.apply(3);
      OutboundFlow f = flow("mqtt.sessions { max-inflight = 2, queue-overflow = drop-oldest, "
          + bound + " }");
      f.deliver(delivery(1, 1), null);
      f.deliver(delivery(2, 1), null);
      FrozenOutbound frozen = f.freeze();
      for (int n = 3; n <= 5; n++) {
        f.deliver(delivery(n, 1), null);
      }
      f.thaw(frozen);
      assertEquals(3, f.queuedCount(), bound);
      FakeConnection c = new FakeConnection(null);
      f.resume(c);
      f.onPubAck(1, c);
      assertEquals(List.of(1, 2, 5), c.publishedNumbers(), bound);

      OutboundFlow full = flow("mqtt.sessions { max-inflight = 2, queue-overflow = drop-oldest, "
          + bounded.apply(2) + " }");
      full.deliver(delivery(1, 1), null);
      full.deliver(delivery(2, 1), null);
      FrozenOutbound fills = full.freeze();
      full.deliver(delivery(3, 1), null);
      assertEquals(0, full.queuedCount(), bound + ": the frozen part fills the bound alone");
      full.thaw(fills);
      assertEquals(2, full.queuedCount(), bound);
    }
  }

  // ---- helpers ----  // ---- helpers ----

  private static Delivery delivery(int n, int qos) {
    return delivery(n, qos, 0);
  }

  private static Delivery delivery(int n, int qos, long expiresAtMillis) {
    Message m =
        new Message(
            "t", new byte[] {(byte) n}, qos, false, MqttProperties.NONE, expiresAtMillis, "pub");
    return new Delivery(m, qos, false, new int[0]);
  }

  private static Delivery shared(int n, int qos) {
    Message m = new Message("t", new byte[] {(byte) n}, qos, false, MqttProperties.NONE, 0, "p");
    return new Delivery(m, qos, false, new int[0], "$share/g/t");
  }

  private static List<Integer> numbers(List<Delivery> ds) {
    return ds.stream().map(d -> (int) d.message().payload()[0]).toList();
  }

  private static List<Boolean> dups(FakeConnection c) {
    return c.sent.stream().filter(p -> p instanceof Publish).map(p -> ((Publish) p).dup()).toList();
  }

  private static MqttPacket last(FakeConnection c) {
    return c.sent.get(c.sent.size() - 1);
  }
}

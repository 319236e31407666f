package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A peer's forwards are acknowledged only over batches that are handled with every batch before
 * them, whichever finishes first, and on the stream that is current when they are: an
 * acknowledgement covers every number up to its own, so one sent early would let the peer forget
 * forwards whose copies are still being written.
 */
class PeerForwardsTest {
  private final FakeTime time = new FakeTime();
  private final PeerForwards forwards = new PeerForwards(7, time.scheduler());
  private final List<Long> acked = new ArrayList<>();

  @Test
  void aLaterBatchHandledFirstWaitsForTheOneBeforeIt() {
    forwards.ackOn(acked::add);
    PeerForwards.Batch first = forwards.open(10, 10);
    PeerForwards.Batch second = forwards.open(20, 10);

    forwards.handled(second);
    time.advance(Duration.ofMillis(50));
    assertEquals(List.of(), acked);
    assertEquals(0, forwards.handled());

    forwards.handled(first);
    time.advance(Duration.ofMillis(50));
    assertEquals(List.of(20L), acked);
    assertEquals(20, forwards.handled());
  }

  @Test
  void aReSentBatchIsNotAcknowledgedBeforeTheOriginalIsHandled() {
    forwards.ackOn(acked::add);
    for (long seq = 1; seq <= 5; seq++) {
      assertTrue(forwards.accept(seq));
    }
    PeerForwards.Batch original = forwards.open(5, 5);
    // The stream ends while the copies are written; the peer re-sends on a new one.
    forwards.ackOn(null);
    List<Long> newStream = new ArrayList<>();
    forwards.ackOn(newStream::add);
    for (long seq = 1; seq <= 5; seq++) {
      assertFalse(forwards.accept(seq), "a re-sent forward is not delivered again");
    }
    PeerForwards.Batch resent = forwards.open(5, 5);
    forwards.handled(resent);
    time.advance(Duration.ofMillis(50));
    assertEquals(List.of(), newStream, "nothing re-sent was delivered, yet the original is not durable");

    forwards.handled(original);
    time.advance(Duration.ofMillis(50));
    assertEquals(List.of(5L), newStream);
    assertEquals(List.of(), acked);
  }

  @Test
  void aFullRoundIsAcknowledgedAtOnceAndTheRestAfterTheDelay() {
    forwards.ackOn(acked::add);
    forwards.handled(forwards.open(64, 64));
    assertEquals(List.of(64L), acked, "64 handled: no need to wait");
    forwards.handled(forwards.open(65, 1));
    assertEquals(List.of(64L), acked);
    time.advance(Duration.ofMillis(5));
    assertEquals(List.of(64L, 65L), acked);
  }

  @Test
  void whatWasHandledWhileNoStreamWasUpIsAcknowledgedOnTheNextOne() {
    forwards.handled(forwards.open(3, 3));
    time.advance(Duration.ofMillis(50));
    forwards.ackOn(acked::add);
    time.advance(Duration.ofMillis(5));
    assertEquals(List.of(3L), acked);
  }
}

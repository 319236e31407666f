package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.config.StorageSettings;
import io.simqtt.core.cluster.SeenForwards;
import io.simqtt.store.DiskSeenForwards;
import io.simqtt.store.DurableStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A peer's forwards are acknowledged only over batches that are handled with every batch before
 * them, whichever finishes first, and on the stream that is current when they are: an
 * acknowledgement covers every number up to its own, so one sent early would let the peer forget
 * forwards whose copies are still being written. What was taken is recorded behind the copies,
 * and a node restarted on its store drops (and acknowledges) what it had taken before.
 */
class PeerForwardsTest {
  private final FakeTime time = new FakeTime();
  private final PeerForwards forwards = new PeerForwards(
      "n2", 7, time.scheduler(), SeenForwards.MEMORY, null, new PeerForwards.Counts());
  private final List<Long> acked = new ArrayList<>();

  /**
   * A range kept from before a restart that the new watermark passes halfway stays seen to its
   * end: the re-sent forwards come in frames cut otherwise, and the rest of the range was
   * delivered again when the watermark's passing dropped the range whole.
   */
  @Test
  void aLoadedRangeTheWatermarkPassesHalfwayStaysSeenToItsEnd() {
    TreeMap<Long, Long> beyond = new TreeMap<>();
    beyond.put(50L, 60L);
    PeerForwards restarted = new PeerForwards("n2", 7, time.scheduler(), SeenForwards.MEMORY,
        new SeenForwards.Seen("n2", 7, 40, beyond), new PeerForwards.Counts());
    PeerForwards.Batch first = restarted.open(55, 15);
    for (long seq = 41; seq <= 49; seq++) {
      assertTrue(restarted.accept(first, seq));
    }
    for (long seq = 50; seq <= 55; seq++) {
      assertFalse(restarted.accept(first, seq), "taken before the restart: " + seq);
    }
    restarted.written(first);
    PeerForwards.Batch second = restarted.open(61, 6);
    for (long seq = 56; seq <= 60; seq++) {
      assertFalse(restarted.accept(second, seq), "taken before the restart: " + seq);
    }
    assertTrue(restarted.accept(second, 61), "new");
  }

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
    PeerForwards.Batch original = forwards.open(5, 5);
    for (long seq = 1; seq <= 5; seq++) {
      assertTrue(forwards.accept(original, seq));
    }
    // The stream ends while the copies are written; the peer re-sends on a new one.
    forwards.ackOn(null);
    List<Long> newStream = new ArrayList<>();
    forwards.ackOn(newStream::add);
    PeerForwards.Batch resent = forwards.open(5, 5);
    for (long seq = 1; seq <= 5; seq++) {
      assertFalse(forwards.accept(resent, seq), "a re-sent forward is not delivered again");
    }
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

  @Test
  void aForwardTakenBeforeARestartIsDroppedAndAcknowledgedWhenSentAgain(@TempDir Path dir) {
    StorageSettings settings = new StorageSettings(
        dir, StorageSettings.Sync.ALWAYS, Duration.ofMillis(5), 100_000, 64 << 20, 8 << 20);
    PeerForwards.Counts counts = new PeerForwards.Counts();
    try (DurableStore store = DurableStore.open(settings)) {
      PeerForwards before =
          new PeerForwards("n2", 7, time.scheduler(), new DiskSeenForwards(store), null, counts);
      // 1..10 written; 11..20 still being written when the node dies; 21..30 written ahead.
      PeerForwards.Batch a = take(before, 1, 10);
      PeerForwards.Batch b = take(before, 11, 20);
      PeerForwards.Batch c = take(before, 21, 30);
      before.written(a);
      before.written(c);
      // The acknowledgement never leaves: the node is killed after its writes.
    }

    List<Long> afterRestart = new ArrayList<>();
    try (DurableStore store = DurableStore.open(settings)) {
      DiskSeenForwards seen = new DiskSeenForwards(store);
      List<SeenForwards.Seen> kept = seen.load();
      assertEquals(1, kept.size());
      PeerForwards after = new PeerForwards("n2", 7, time.scheduler(), seen, kept.get(0), counts);
      after.ackOn(afterRestart::add);
      // The peer sends everything again.
      PeerForwards.Batch resent = after.open(30, 30);
      List<Long> delivered = new ArrayList<>();
      for (long seq = 1; seq <= 30; seq++) {
        if (after.accept(resent, seq)) {
          delivered.add(seq);
        }
      }
      assertEquals(range(11, 20), delivered, "only what was not written is delivered again");
      assertEquals(20, counts.duplicates.sum());
      after.written(resent);
      after.handled(resent);
      time.advance(Duration.ofMillis(5));
      assertEquals(List.of(30L), afterRestart, "what was dropped is acknowledged too");
    }
    try (DurableStore store = DurableStore.open(settings)) {
      assertEquals(List.of(new SeenForwards.Seen("n2", 7, 30, new java.util.TreeMap<>())),
          new DiskSeenForwards(store).load(), "the watermark passed the range, which went");
    }
  }

  @Test
  void aBatchWrittenAheadIsARangeUntilTheWatermarkPassesItAndPastTheBoundIsCounted() {
    List<String> records = new ArrayList<>();
    SeenForwards recorder = new SeenForwards() {
      @Override
      public void advance(String peerId, long incarnation, long through, Collection<Long> passed) {
        records.add("through " + through + " passing " + passed);
      }

      @Override
      public void range(String peerId, long incarnation, long first, long last) {
        records.add("range " + first + ".." + last);
      }

      @Override
      public void forget(String peerId, long incarnation) {}

      @Override
      public List<Seen> load() {
        return List.of();
      }
    };
    PeerForwards.Counts counts = new PeerForwards.Counts();
    PeerForwards f = new PeerForwards("n2", 7, time.scheduler(), recorder, null, counts);
    PeerForwards.Batch first = take(f, 1, 1);
    List<PeerForwards.Batch> ahead = new ArrayList<>();
    for (int i = 0; i <= PeerForwards.MAX_RANGES; i++) {
      ahead.add(take(f, 2 + i, 2 + i));
    }
    ahead.forEach(f::written);
    assertEquals(PeerForwards.MAX_RANGES, records.size(), "one range each up to the bound");
    assertEquals("range 2..2", records.get(0));
    assertEquals(1, counts.unrecorded.sum(), "the one past the bound is counted");

    f.written(first);
    String last = records.get(records.size() - 1);
    long through = 2L + PeerForwards.MAX_RANGES;
    assertTrue(last.startsWith("through " + through + " passing [2, 3, "), last);
  }

  /** Opens a batch of {@code from} to {@code to} and takes each. */
  private static PeerForwards.Batch take(PeerForwards f, long from, long to) {
    PeerForwards.Batch b = f.open(to, (int) (to - from + 1));
    for (long seq = from; seq <= to; seq++) {
      assertTrue(f.accept(b, seq));
    }
    return b;
  }

  private static List<Long> range(long from, long to) {
    List<Long> numbers = new ArrayList<>();
    for (long n = from; n <= to; n++) {
      numbers.add(n);
    }
    return numbers;
  }
}

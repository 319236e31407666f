package io.simqtt.store;

import static io.simqtt.core.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.config.StorageSettings;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.message.Message;
import io.simqtt.core.routing.DeliveryReceipt;
import io.simqtt.core.session.Delivery;
import io.simqtt.core.session.StoredMessage;
import io.simqtt.core.session.StoredSession;
import io.simqtt.core.session.WriteHold;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes under a {@link WriteHold} on a real RocksDB store: the copies of a stored publisher's
 * QoS 2 message, taken by its targets one after the other, and the publisher's id written by the
 * count that completes the {@link DeliveryReceipt}, reach the disk in one batch even when the
 * writer takes the first copy long before the others exist. A kill -9 right after any batch (a
 * checkpoint of the database taken on the writer thread between batches) keeps all of them or
 * none: never a copy without the id, which the publisher's resend after the restart would route
 * again, a duplicate to that copy's subscriber.
 */
class HeldWritesTest {
  /** Where tests that write raw keys and values write: the one family that takes any key. */
  private static final Family RAW = Family.RETAINED;

  @TempDir Path dir;
  @TempDir Path images;

  @Test
  void copiesTakenOneAfterTheOtherAndThePublishersIdReachTheDiskInOneBatch() throws Exception {
    StorageSettings settings = StoreDirs.always(dir);
    Path image = images.resolve("after-first-copy");
    long batches;
    try (DurableStore store = DurableStore.open(settings)) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      for (String id : List.of("sub1", "sub2", "pub")) {
        sessions.saveSession(id, session(id));
      }
      CompletableFuture<Void> written = new CompletableFuture<>();
      sessions.afterDurable(() -> written.complete(null));
      written.get(10, TimeUnit.SECONDS);
      // The kill: right after the first batch that holds a copy, nothing more written.
      store.writer().afterEachBatch(() -> {
        if (!image.toFile().exists() && entries(store) > 0) {
          store.checkpoint(image);
        }
      });
      long batchesBefore = store.commitBatches();

      CompletableFuture<Boolean> taken = new CompletableFuture<>();
      DeliveryReceipt receipt = new DeliveryReceipt(taken::complete, sessions.holdWrites(),
          () -> sessions.addInboundQos2("pub", 7));
      receipt.expect();
      receipt.expect();
      receipt.routed();
      sessions.addMessage("sub1", 1, delivery("once"), receipt.hold());
      receipt.taken(true);
      // The writer has the first copy: without the hold its batch would end here.
      await("the writer took the first copy",
          () -> store.holdWaits() > 0 || image.toFile().exists());
      sessions.addMessage("sub2", 1, delivery("once"), receipt.hold());
      receipt.taken(true);
      assertTrue(taken.get(10, TimeUnit.SECONDS), "the receipt completed, stored");
      CompletableFuture<Void> durable = new CompletableFuture<>();
      sessions.afterDurable(() -> durable.complete(null));
      durable.get(10, TimeUnit.SECONDS);

      batches = store.commitBatches() - batchesBefore;
      assertEquals(0, store.holdsCut());
    }

    assertTrue(image.toFile().exists(), "a batch with a copy was written");
    Load afterKill = load(StoreDirs.always(image));
    assertEquals(Map.of("sub1", 1, "sub2", 1), afterKill.copies(),
        "the kill after the first copy's batch keeps both copies");
    assertEquals(List.of(7), afterKill.ids().get("pub"), "and the publisher's id with them");
    assertEquals(1, batches, "copies and id in one batch");
  }

  /**
   * A hold whose release never comes is cut after a bounded wait, counted, and loses nothing
   * (the writer may wait more than once: the write after it goes ahead as it comes).
   */
  @Test
  void aHoldNotReleasedInTimeIsCutCountedAndItsWritesGoOn() throws Exception {
    StorageSettings settings = StoreDirs.always(dir);
    try (DurableStore store = DurableStore.open(settings)) {
      store.writer().maxHoldNanos(TimeUnit.MILLISECONDS.toNanos(5));
      DiskSessionStore sessions = new DiskSessionStore(store);
      sessions.saveSession("sub1", session("sub1"));
      WriteHold never = sessions.holdWrites();
      sessions.addMessage("sub1", 1, delivery("held"), never);
      sessions.addMessage("sub1", 2, delivery("after"));
      long start = System.nanoTime();
      CompletableFuture<Void> durable = new CompletableFuture<>();
      sessions.afterDurable(() -> durable.complete(null));
      durable.get(10, TimeUnit.SECONDS);
      long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

      assertEquals(1, store.holdsCut(HoldCut.AGE));
      assertTrue(store.holdWaits() >= 1, "waits: " + store.holdWaits());
      // The writer's wait counts from when it took the held write, which may be before start.
      assertTrue(store.holdWaitNanos() > 0, "waited for it: " + store.holdWaitNanos());
      assertTrue(waitedMillis < 5_000, "and no longer: " + waitedMillis + " ms");
      never.release(); // late: nothing waits for it any more
    }
    assertEquals(Map.of("sub1", 2), load(settings).copies());
  }

  /**
   * Holds that overlap (the second taken before the first is released) and are released at once
   * are written with what came before their releases without waiting for a later hold still open:
   * the action queued after the releases runs while that hold keeps only its own write (and what
   * follows it) out of the disk, and nothing is cut.
   */
  @Test
  void overlappingHoldsReleasedPromptlyAreWrittenWithoutWaitingForALaterOne() throws Exception {
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir))) {
      store.writer().maxHoldNanos(TimeUnit.MINUTES.toNanos(5)); // only a release ends a wait
      DiskSessionStore sessions = new DiskSessionStore(store);
      sessions.saveSession("sub1", session("sub1"));
      CountDownLatch queued = blockWriter(store.writer());
      WriteHold first = sessions.holdWrites();
      WriteHold second = sessions.holdWrites();
      WriteHold later = sessions.holdWrites();
      sessions.addMessage("sub1", 1, delivery("first"), first);
      sessions.addMessage("sub1", 2, delivery("second"), second);
      first.release();
      second.release();
      CompletableFuture<Integer> onDiskThen = new CompletableFuture<>();
      sessions.afterDurable(() -> onDiskThen.complete(entries(store)));
      sessions.addMessage("sub1", 3, delivery("later"), later);
      queued.countDown(); // the writer takes all of it at once

      assertEquals(2, onDiskThen.get(10, TimeUnit.SECONDS),
          "written up to the releases, the later hold's write kept out");
      later.release();
      durable(store.writer());
      assertEquals(0, store.holdsCut());
      assertEquals(3, entries(store));
    }
  }

  /**
   * What waits for a hold still open has the queue's bound: the caller that finds the queue full
   * of it cuts the hold, and no batch is larger than the queue.
   */
  @Test
  void whatWaitsForAHoldKeepsTheQueuesBoundAndTheHoldIsCutThere() throws Exception {
    int bound = 1_000;
    try (DurableStore store =
        DurableStore.open(StoreDirs.settings(dir, StorageSettings.Sync.ALWAYS, bound))) {
      GroupCommitWriter writer = store.writer();
      writer.maxHoldNanos(TimeUnit.MINUTES.toNanos(5));
      AtomicLong lastWrites = new AtomicLong(store.committedWrites());
      AtomicLong largest = new AtomicLong();
      writer.afterEachBatch(() -> {
        long now = store.committedWrites();
        largest.accumulateAndGet(now - lastWrites.getAndSet(now), Math::max);
      });
      WriteHold never = writer.hold();
      writer.put(RAW, key("k"), value("held"), never);
      // Each a later write of the held key: each waits behind it.
      int writes = bound + bound / 2;
      for (int i = 0; i < writes; i++) {
        writer.put(RAW, key("k"), value("v" + i));
      }
      durable(writer);

      assertTrue(largest.get() <= bound, "largest batch: " + largest.get());
      assertEquals(1, store.holdsCut(HoldCut.ROOM));
      assertEquals(Map.of("k", "v" + (writes - 1)), disk(store), "in the order queued");
      never.release();
    }
  }

  /**
   * Below the queue's bound nothing is cut however much waits for an open hold: in a QoS 2
   * fan-out each message's copies, sent records and removals wait behind the oldest hold open,
   * one subscriber's entries being in order, so what waits is as large as what the event loops
   * queue meanwhile (here more than a batch's bound four times over).
   */
  @Test
  void muchWaitingForAHoldBelowTheQueuesBoundCutsNothing() throws Exception {
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir))) {
      GroupCommitWriter writer = store.writer();
      writer.maxHoldNanos(TimeUnit.MINUTES.toNanos(5));
      WriteHold open = writer.hold();
      writer.put(RAW, key("k"), value("held"), open);
      int writes = 4 * GroupCommitWriter.MAX_BATCH_WRITES + 1;
      for (int i = 0; i < writes; i++) {
        writer.put(RAW, key("k"), value("v" + i));
      }
      await("the writer took all of it and keeps it back",
          () -> store.waitingWrites() == writes + 1);
      assertEquals(Map.of(), disk(store));
      open.release();
      durable(writer);
      assertEquals(0, store.holdsCut());
      assertEquals(Map.of("k", "v" + (writes - 1)), disk(store), "in the order queued");
    }
  }

  /**
   * A caller that finds the queue full while all the writer holds waits for a release is let go
   * at once: the hold is cut.
   */
  @Test
  void aCallerWaitingForRoomCutsTheHoldTheWriterWaitsFor() throws Exception {
    StorageSettings settings = StoreDirs.settings(dir, StorageSettings.Sync.ALWAYS, 4);
    try (DurableStore store = DurableStore.open(settings)) {
      store.writer().maxHoldNanos(TimeUnit.MINUTES.toNanos(5));
      DiskSessionStore sessions = new DiskSessionStore(store);
      sessions.saveSession("sub1", session("sub1"));
      CountDownLatch queued = blockWriter(store.writer());
      WriteHold never = sessions.holdWrites();
      sessions.addMessage("sub1", 1, delivery("held"), never);
      for (int i = 0; i < 3; i++) { // the queue is full: 4 writes, the actions behind the held one
        sessions.afterDurable(() -> { });
      }
      queued.countDown();
      // The writer took all four and waits for the release: nothing more is queued to wake it.
      await("the writer waits for the release", () -> store.holdWaits() > 0);
      CompletableFuture<Void> caller = CompletableFuture.runAsync(
          () -> sessions.addMessage("sub1", 5, delivery("plain")));

      caller.get(10, TimeUnit.SECONDS);
      assertEquals(1, store.writeStalls());
      assertEquals(1, store.holdsCut(HoldCut.ROOM));
      never.release();
    }
  }

  /**
   * A hold still open keeps only its own writes, and the actions queued behind them, off the
   * disk: a hold taken after it and released, with what its releaser wrote, and a plain write
   * go ahead, nothing cut. This is what lets the overlapping holds of a fan-out (each message's
   * copies taken on several loops) be written one by one as each is released.
   */
  @Test
  void aHoldStillOpenKeepsOnlyItsOwnWritesAndTheActionsBehindThemOffTheDisk() throws Exception {
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir))) {
      GroupCommitWriter writer = store.writer();
      writer.maxHoldNanos(TimeUnit.MINUTES.toNanos(5));
      WriteHold open = writer.hold();
      WriteHold released = writer.hold();
      writer.put(RAW, key("a"), value("open"), open);
      CompletableFuture<Set<String>> behindOpen = new CompletableFuture<>();
      writer.afterDurable(() -> behindOpen.complete(disk(store).keySet()));
      writer.put(RAW, key("b"), value("copy"), released);
      writer.put(RAW, key("c"), value("plain"));
      released.releaseAfter(() -> writer.put(RAW, key("b-id"), value("last")));

      await("the released hold's unit and the plain write are on disk",
          () -> disk(store).keySet().equals(Set.of("b", "b-id", "c")));
      assertFalse(behindOpen.isDone(), "the action behind the open hold's write waits for it");
      open.release();
      assertEquals(Set.of("a", "b", "b-id", "c"), behindOpen.get(10, TimeUnit.SECONDS));
      assertEquals(0, store.holdsCut());
    }
  }

  /**
   * A later write of a key a held write writes (an entry marked sent, or deleted, while its
   * message's other copies are still being taken) waits behind it: the database sees them in
   * the order queued. A write before the held one goes; one after the waiting write waits too,
   * as it may depend on it.
   */
  @Test
  void aLaterWriteOfAHeldKeyWaitsBehindIt() throws Exception {
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir))) {
      GroupCommitWriter writer = store.writer();
      writer.maxHoldNanos(TimeUnit.MINUTES.toNanos(5));
      CountDownLatch queued = blockWriter(writer);
      WriteHold open = writer.hold();
      writer.put(RAW, key("before"), value("plain"));
      writer.put(RAW, key("k"), value("copy"), open);
      writer.put(RAW, key("k"), value("marked sent"));
      writer.put(RAW, key("after"), value("plain"));
      queued.countDown(); // the writer takes all of it at once

      await("the writer waits for the release", () -> store.holdWaits() > 0);
      assertEquals(Map.of("before", "plain"), disk(store), "only what came before goes");
      open.release();
      durable(writer);
      assertEquals(Map.of("before", "plain", "k", "marked sent", "after", "plain"),
          disk(store));
      assertEquals(0, store.holdsCut());
    }
  }

  /**
   * A released hold that wrote last a key an earlier hold still open writes waits whole, its
   * other writes too: the unit is not split.
   */
  @Test
  void aReleasedHoldThatMustWaitForAKeyWaitsWhole() throws Exception {
    Path image = images.resolve("after-plain");
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir))) {
      GroupCommitWriter writer = store.writer();
      writer.maxHoldNanos(TimeUnit.MINUTES.toNanos(5));
      // The kill: right after the first batch with the plain write, nothing more written.
      writer.afterEachBatch(() -> {
        if (!image.toFile().exists() && disk(store).containsKey("plain")) {
          store.checkpoint(image);
        }
      });
      WriteHold open = writer.hold();
      WriteHold later = writer.hold();
      writer.put(RAW, key("k"), value("open's copy"), open);
      writer.put(RAW, key("x"), value("later's copy"), later);
      later.releaseAfter(() -> writer.put(RAW, key("k"), value("later's record")));
      writer.put(RAW, key("plain"), value("plain"));
      await("the plain write is on disk", () -> image.toFile().exists());
      open.release();
      durable(writer);
      assertEquals(Map.of("k", "later's record", "x", "later's copy", "plain", "plain"),
          disk(store));
      assertEquals(0, store.holdsCut());
    }
    try (DurableStore killed = DurableStore.open(StoreDirs.always(image))) {
      assertEquals(Map.of("plain", "plain"), disk(killed),
          "the later hold's copy did not go without its record");
    }
  }

  /**
   * Released holds that each wrote first an entry nothing waits for, then one a hold still open
   * writes (a QoS 2 message to subscribers of two topics, one of whose copies waits behind an
   * earlier message's copy still held), each wait whole. Finding them costs the writer one more
   * sorting pass, not one for each: with 100,000 writes waiting (the queue's bound) and a pass
   * over them per such hold, the writer sorted for minutes, nothing written, no hold cut.
   */
  @Test
  void manyReleasedHoldsThatMustWaitWholeCostOneMoreSortingPass() throws Exception {
    int holds = 2_000;
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir))) {
      GroupCommitWriter writer = store.writer();
      writer.maxHoldNanos(TimeUnit.MINUTES.toNanos(5));
      CountDownLatch queued = blockWriter(writer);
      long passesBefore = writer.sortingPasses();
      WriteHold open = writer.hold();
      writer.put(RAW, key("k"), value("open's copy"), open);
      for (int i = 0; i < holds; i++) {
        WriteHold released = writer.hold();
        writer.put(RAW, key("a" + i), value("copy"), released);
        writer.put(RAW, key("k"), value("copy"), released);
        released.release();
      }
      writer.put(RAW, key("plain"), value("plain"));
      CompletableFuture<Map<String, String>> onDisk = new CompletableFuture<>();
      AtomicLong passes = new AtomicLong();
      writer.afterEachBatch(() -> {
        if (!onDisk.isDone() && disk(store).containsKey("plain")) {
          passes.set(writer.sortingPasses() - passesBefore);
          onDisk.complete(disk(store));
        }
      });
      queued.countDown(); // the writer takes all of it at once

      assertEquals(Map.of("plain", "plain"), onDisk.get(60, TimeUnit.SECONDS),
          "the plain write goes; every released hold waits whole");
      assertTrue(passes.get() <= 4, "sorting passes: " + passes.get());
      open.release();
      durable(writer);
      assertEquals(holds + 2, disk(store).size());
      assertEquals(0, store.holdsCut());
    }
  }

  /**
   * A subscriber's entry marked sent (its PUBLISH went out at once) while the entry's message is
   * still held: the sent record is another key of the same entry, and a kill that kept it
   * without the delivery it belongs to leaves a store that refuses to load as damaged. It waits
   * with the delivery.
   */
  @Test
  void aSentRecordWaitsForItsHeldDelivery() throws Exception {
    Path image = images.resolve("after-first-entry");
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir))) {
      store.writer().maxHoldNanos(TimeUnit.MINUTES.toNanos(5));
      DiskSessionStore sessions = new DiskSessionStore(store);
      sessions.saveSession("sub1", session("sub1"));
      // The kill: right after the first batch with any of the entry's keys.
      store.writer().afterEachBatch(() -> {
        if (!image.toFile().exists() && entries(store) > 0) {
          store.checkpoint(image);
        }
      });
      CountDownLatch queued = blockWriter(store.writer());
      WriteHold open = sessions.holdWrites();
      sessions.addMessage("sub1", 1, delivery("held"), open);
      sessions.markSent("sub1", 1, 9, false);
      sessions.addMessage("sub1", 2, delivery("plain"));
      queued.countDown(); // the writer takes all of it at once
      await("the writer waits for the release", () -> store.holdWaits() > 0);
      open.release();
      durable(store.writer());
      assertEquals(0, store.holdsCut());
    }
    assertTrue(image.toFile().exists(), "a batch with an entry was written");
    Load afterKill = load(StoreDirs.always(image)); // a sent record alone: "is damaged"
    assertTrue(afterKill.copies().getOrDefault("sub1", 0) >= 1, "loads: " + afterKill);
  }

  /**
   * A subscriber's sent record and its acknowledged entry's removal, waiting behind its held copy
   * of a later message, keep nobody else's writes waiting: only the subscriber's later entries
   * and actions depend on them. In a QoS 2 fan-out every subscriber marks its copy sent while
   * the message's other copies are still being taken; if each such record held up every write
   * behind it, what waits grew until the holds open were cut.
   */
  @Test
  void aWaitingSentRecordOrRemovalKeepsOnlyItsOwnEntrysLaterWritesWaiting() throws Exception {
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir))) {
      store.writer().maxHoldNanos(TimeUnit.MINUTES.toNanos(5));
      DiskSessionStore sessions = new DiskSessionStore(store);
      sessions.saveSession("sub1", session("sub1"));
      sessions.saveSession("sub2", session("sub2"));
      sessions.addMessage("sub1", 1, delivery("acknowledged"));
      durable(store.writer());
      CountDownLatch queued = blockWriter(store.writer());
      WriteHold open = sessions.holdWrites();
      sessions.addMessage("sub1", 2, delivery("held"), open);
      sessions.removeMessage("sub1", 1);
      sessions.markSent("sub1", 2, 9, false);
      sessions.addMessage("sub2", 1, delivery("another subscriber's"));
      queued.countDown(); // the writer takes all of it at once

      await("sub2's entry is on disk before the release",
          () -> entryKeys(store).contains("sub2 1 delivery"));
      assertEquals(Set.of("sub1 1 delivery", "sub2 1 delivery"), entryKeys(store),
          "sub1's removal and sent record wait behind its held entry");
      open.release();
      durable(store.writer());
      assertEquals(Set.of("sub1 2 delivery", "sub1 2 sent", "sub2 1 delivery"),
          entryKeys(store));
      assertEquals(0, store.holdsCut());
    }
  }

  /**
   * A page of a session's backlog is read on the store's reader thread once the writes queued
   * before the request are in; the session goes on writing meanwhile. What the read finds must
   * be all the session wrote up to any entry it finds: the session's cursor moves past what the
   * page holds, so an entry still held when the one after it was written would never be read
   * back. A session's entries reach the disk in the order written.
   */
  @Test
  void aPageReadFindsNoEntryWithoutTheHeldOneBeforeIt() throws Exception {
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir))) {
      store.writer().maxHoldNanos(TimeUnit.MINUTES.toNanos(5));
      DiskSessionStore sessions = new DiskSessionStore(store);
      sessions.saveSession("sub1", session("sub1"));
      CountDownLatch queued = blockWriter(store.writer());
      CompletableFuture<List<Long>> page = new CompletableFuture<>();
      sessions.readMessages("sub1", 0, 100,
          read -> page.complete(read.stream().map(StoredMessage::seq).toList()),
          page::completeExceptionally);
      WriteHold open = sessions.holdWrites();
      sessions.addMessage("sub1", 1, delivery("held"), open);
      sessions.addMessage("sub1", 2, delivery("plain"));
      queued.countDown(); // the writer takes all of it at once

      List<Long> read = page.get(10, TimeUnit.SECONDS);
      assertTrue(read.isEmpty() || read.equals(List.of(1L, 2L)), "read: " + read);
      open.release();
      durable(store.writer());
    }
  }

  /**
   * A range deletion waits while anything does (here a session written again, behind an
   * unrelated hold), and with it every later write into its range (the session's new entry). A
   * later write of another key may depend on those: a peer frame's seen record on the copy it
   * covers. A kill that kept the record without the copy would drop the peer's resend of the
   * forward as seen, and the copy would be lost. So nothing overtakes a range deletion that waits.
   */
  @Test
  void nothingOvertakesARangeDeletionThatWaits() throws Exception {
    assertTheSeenRecordGoesWithItsCopy(1, sessions -> {
      WriteHold open = sessions.holdWrites();
      sessions.addMessage("other", 1, delivery("held"), open);
      sessions.writeSession(session("sub1"), List.of(), true);
      sessions.addMessage("sub1", 1, delivery("forwarded"));
      return open;
    });
  }

  /**
   * A peer frame's QoS 1 copy for a subscriber that waits behind a held copy for the same
   * subscriber (a QoS 2 message whose other copies are still being taken): the frame's seen
   * record, written after the copy and not under a hold, must not reach the disk before it, or a
   * kill between would keep the record without the copy and the peer's resend would be dropped
   * as seen. So nothing overtakes a write not made under a hold that waits.
   */
  @Test
  void nothingOvertakesAWriteNotUnderAHoldThatWaits() throws Exception {
    assertTheSeenRecordGoesWithItsCopy(2, sessions -> {
      WriteHold open = sessions.holdWrites();
      sessions.addMessage("sub1", 1, delivery("held"), open);
      sessions.addMessage("sub1", 2, delivery("forwarded"));
      return open;
    });
  }

  /**
   * Sessions "other" and "sub1" stored; with the writer held, {@code copies} queues a peer
   * frame's copy for sub1 behind a hold it returns, still open, then the frame's seen record is
   * queued, and the writer takes all of it at once. A kill right after the first batch with the
   * record must keep {@code copiesOfSub1} entries of sub1: the record never goes without its copy.
   */
  private void assertTheSeenRecordGoesWithItsCopy(
      int copiesOfSub1, Function<DiskSessionStore, WriteHold> copies) throws Exception {
    Path image = images.resolve("after-seen");
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir))) {
      store.writer().maxHoldNanos(TimeUnit.MINUTES.toNanos(5));
      DiskSessionStore sessions = new DiskSessionStore(store);
      DiskSeenForwards seen = new DiskSeenForwards(store);
      sessions.saveSession("other", session("other"));
      sessions.saveSession("sub1", session("sub1"));
      durable(store.writer());
      // The kill: right after the first batch with the seen record.
      store.writer().afterEachBatch(() -> {
        if (!image.toFile().exists() && !seen.load().isEmpty()) {
          store.checkpoint(image);
        }
      });
      CountDownLatch queued = blockWriter(store.writer());
      WriteHold open = copies.apply(sessions);
      seen.range("peer", 1, 5, 5);
      queued.countDown(); // the writer takes all of it at once
      await("the writer waits for the release", () -> store.holdWaits() > 0);
      open.release();
      durable(store.writer());
      assertEquals(0, store.holdsCut());
    }
    assertTrue(image.toFile().exists(), "a batch with the seen record was written");
    assertEquals(copiesOfSub1, load(StoreDirs.always(image)).copies().getOrDefault("sub1", 0),
        "the seen record is on disk with the copy it covers");
  }

  /**
   * A read of a queue on an event loop blocks that loop until the writes before it are written;
   * a hold whose release is a later task of the same loop cannot come meanwhile: the read cuts
   * it at once, counted, and sees the held write.
   */
  @Test
  void aBlockingReadCutsTheHoldsOpenBeforeIt() throws Exception {
    ExecutorService loop = Executors.newSingleThreadExecutor();
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir))) {
      store.writer().maxHoldNanos(TimeUnit.MINUTES.toNanos(5));
      DiskSessionStore sessions = new DiskSessionStore(store);
      sessions.saveSession("sub1", session("sub1"));
      WriteHold hold = sessions.holdWrites();
      loop.execute(() -> sessions.addMessage("sub1", 1, delivery("held"), hold));
      Future<List<StoredMessage>> read = loop.submit(() -> sessions.messages("sub1", 0, 10));
      loop.execute(hold::release);

      assertEquals(1, read.get(10, TimeUnit.SECONDS).size());
      assertEquals(1, store.holdsCut(HoldCut.READ));
    } finally {
      loop.shutdownNow();
    }
  }

  /**
   * The forward journal's half: a forward held for a peer under the receipt's hold, written
   * first, goes in one batch with the session entry taken after it and the publisher's id, so a
   * kill right after the first batch with either copy keeps both and the id.
   */
  @Test
  void aForwardJournalWriteUnderTheHoldGoesInOneBatchWithTheEntryAndTheId() throws Exception {
    StorageSettings settings = StoreDirs.always(dir);
    Path image = images.resolve("after-first-copy");
    try (DurableStore store = DurableStore.open(settings)) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      DiskForwardJournal journal = new DiskForwardJournal(store);
      for (String id : List.of("sub1", "pub")) {
        sessions.saveSession(id, session(id));
      }
      durable(store.writer());
      store.writer().afterEachBatch(() -> {
        if (!image.toFile().exists() && entries(store) + forwards(store) > 0) {
          store.checkpoint(image);
        }
      });

      CompletableFuture<Boolean> taken = new CompletableFuture<>();
      DeliveryReceipt receipt = new DeliveryReceipt(taken::complete, sessions.holdWrites(),
          () -> sessions.addInboundQos2("pub", 7));
      receipt.expect();
      receipt.expect();
      receipt.routed();
      journal.holdUnder("node-b", 1, "forward".getBytes(StandardCharsets.UTF_8), receipt.hold());
      receipt.taken(true);
      await("the writer took the forward",
          () -> store.holdWaits() > 0 || image.toFile().exists());
      sessions.addMessage("sub1", 1, delivery("once"), receipt.hold());
      receipt.taken(true);
      assertTrue(taken.get(10, TimeUnit.SECONDS), "the receipt completed, stored");
      durable(store.writer());
      assertEquals(0, store.holdsCut());
    }

    assertTrue(image.toFile().exists(), "a batch with a copy was written");
    StorageSettings afterKill = StoreDirs.always(image);
    try (DurableStore store = DurableStore.open(afterKill)) {
      assertEquals(1, forwards(store), "the kill after the forward's batch keeps it");
    }
    Load load = load(afterKill);
    assertEquals(Map.of("sub1", 1), load.copies(), "and the entry taken after it");
    assertEquals(List.of(7), load.ids().get("pub"), "and the publisher's id");
  }

  /** A hold another store gave out holds nothing here: the write goes as any. */
  @Test
  void aHoldOfAnotherStoreHoldsNothing(@TempDir Path otherDir) throws Exception {
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir));
        DurableStore other = DurableStore.open(StoreDirs.always(otherDir))) {
      store.writer().maxHoldNanos(TimeUnit.MINUTES.toNanos(5));
      DiskSessionStore sessions = new DiskSessionStore(store);
      WriteHold foreign = new DiskSessionStore(other).holdWrites();
      sessions.saveSession("sub1", session("sub1"));
      sessions.addMessage("sub1", 1, delivery("plain"), foreign);
      durable(store.writer());
      assertEquals(1, entries(store));
      assertEquals(0, store.holdWaits());
      foreign.release();
    }
  }

  /** A release that comes after the store closed is no write refused: nothing is held any more. */
  @Test
  void aReleaseAfterTheStoreClosedIsNotCountedAsRefused() throws Exception {
    WriteHold late;
    DurableStore store = DurableStore.open(StoreDirs.always(dir));
    try (store) {
      late = new DiskSessionStore(store).holdWrites();
    }
    late.release();
    assertEquals(0, store.writesRefused());
  }

  /**
   * Holds the writer thread in an action until the returned latch is counted down, so that what
   * the test queues meanwhile is all in the queue when the writer next looks.
   */
  private static CountDownLatch blockWriter(GroupCommitWriter writer) throws Exception {
    CountDownLatch in = new CountDownLatch(1);
    CountDownLatch queued = new CountDownLatch(1);
    writer.afterDurable(() -> {
      in.countDown();
      try {
        queued.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertTrue(in.await(10, TimeUnit.SECONDS), "the writer runs the blocking action");
    return queued;
  }

  private static void durable(GroupCommitWriter writer) throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    writer.afterDurable(() -> done.complete(null));
    done.get(10, TimeUnit.SECONDS);
  }

  /** The family the tests that write raw write, as they wrote it. */
  private static Map<String, String> disk(DurableStore store) {
    Map<String, String> entries = new TreeMap<>();
    store.forEach(RAW, (k, v) -> entries.put(
        new String(k, StandardCharsets.UTF_8), new String(v, StandardCharsets.UTF_8)));
    return entries;
  }

  private static byte[] key(String k) {
    return k.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] value(String v) {
    return v.getBytes(StandardCharsets.UTF_8);
  }

  private static int forwards(DurableStore store) {
    AtomicReference<Integer> n = new AtomicReference<>(0);
    store.forEach(Family.FORWARDS, (k, v) -> n.set(n.get() + 1));
    return n.get();
  }

  private record Load(Map<String, Integer> copies, Map<String, List<Integer>> ids) {}

  private static Load load(StorageSettings settings) {
    Map<String, Integer> copies = new TreeMap<>();
    Map<String, List<Integer>> ids = new TreeMap<>();
    try (DurableStore store = DurableStore.open(settings)) {
      List<StoredMessage> messages = new ArrayList<>();
      new DiskSessionStore(store).load(Integer.MAX_VALUE,
          s -> ids.put(s.clientId(), s.inboundQos2().stream().sorted().toList()),
          messages::add, b -> { });
      messages.forEach(m -> copies.merge(m.clientId(), 1, Integer::sum));
    }
    return new Load(copies, ids);
  }

  /** The message entries' keys on disk, as "client seq delivery|sent". */
  private static Set<String> entryKeys(DurableStore store) {
    Set<String> keys = new TreeSet<>();
    store.forEach(Family.MESSAGES, (k, v) -> keys.add(Keys.clientIdOf(k) + " " + Keys.seqOf(k)
        + (Keys.kindOf(k) == Keys.SENT ? " sent" : " delivery")));
    return keys;
  }

  private static int entries(DurableStore store) {
    AtomicReference<Integer> n = new AtomicReference<>(0);
    store.forEach(Family.MESSAGES, (k, v) -> n.set(n.get() + 1));
    return n.get();
  }

  private static Delivery delivery(String payload) {
    return new Delivery(new Message("eo/t", payload.getBytes(StandardCharsets.UTF_8), 2, false,
        MqttProperties.empty(), 0, "pub"), 2, false, new int[0]);
  }

  private static StoredSession session(String clientId) {
    return new StoredSession(clientId, Map.of(), 3600, null, 1_700_000_000_000L, 0,
        Set.of());
  }
}

package io.simqtt.store;

import static io.simqtt.core.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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

  /** A hold whose release never comes costs one bounded wait, counted, and loses nothing. */
  @Test
  void aHoldNotReleasedInTimeIsCutCountedAndItsWritesGoOn() throws Exception {
    StorageSettings settings = StoreDirs.always(dir);
    try (DurableStore store = DurableStore.open(settings)) {
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

      assertEquals(1, store.holdsCut());
      assertEquals(1, store.holdWaits());
      assertTrue(store.holdWaitNanos() >= GroupCommitWriter.MAX_HOLD_NANOS,
          "waited its bound: " + store.holdWaitNanos());
      assertTrue(waitedMillis < 5_000, "and no longer: " + waitedMillis + " ms");
      never.release(); // late: nothing waits for it any more
    }
    assertEquals(Map.of("sub1", 2), load(settings).copies());
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

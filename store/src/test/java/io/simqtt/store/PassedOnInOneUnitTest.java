package io.simqtt.store;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.store.StoredQueues.entries;
import static io.simqtt.store.StoredQueues.oneInFlightAndOneQueuedForA;
import static io.simqtt.store.StoredQueues.received;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.simqtt.core.it.BrokerFixture;
import io.simqtt.core.it.RawClient;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An entry a session passes on leaves its store in one unit with the new holder's copy, on a real
 * RocksDB store: a kill -9 right after the first batch that holds the new holder's copy (a
 * checkpoint taken on the writer thread between batches) finds the message with the new holder
 * only. Before, the entry stayed until the copy was durable and was deleted in a later batch: a
 * kill between brought it back as a queued entry of the session, and a QoS 2 message reached the
 * client it had been taken from as well, under a new packet id.
 */
@Timeout(60)
class PassedOnInOneUnitTest {
  private static final String GROUP = "$share/g/s/t";

  @TempDir Path dir;
  @TempDir Path images;

  /**
   * Shared members a (connected, m1 in flight, m2 queued behind its window of 1) and b (offline):
   * a's connection drops, its queued m2 goes to b.
   */
  @Test
  void aSharedEntryHandedToAnotherMemberAndItsDeletionReachTheDiskInOneBatch() {
    Path image = images.resolve("after-b-took-m2");
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir));
        BrokerFixture f = BrokerFixture.start("mqtt.sessions.max-inflight = 1",
            new DiskSessionStore(store))) {
      RawClient a = oneInFlightAndOneQueuedForA(f, store, GROUP);
      AtomicBoolean taken = new AtomicBoolean();
      store.writer().maxHoldNanos(TimeUnit.MINUTES.toNanos(5)); // a slow release is not cut
      store.writer().afterEachBatch(() -> {
        if (!taken.get() && entries(store, "b") > 0) {
          taken.set(true);
          store.checkpoint(image); // the kill: right after the batch with b's copy
        }
      });

      a.abort(); // its queued m2 goes to b
      await("the batch with b's copy written", taken::get);
      assertEquals(0, store.holdsCut());
    }

    try (DurableStore store = DurableStore.open(StoreDirs.always(image));
        BrokerFixture f = BrokerFixture.start("", new DiskSessionStore(store))) {
      assertEquals(List.of("m1"), received(f, "a"),
          "a gets again what it was sent, and not what went to b");
      assertEquals(List.of("m2"), received(f, "b"));
    }
  }
}

package io.simqtt.store;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.config.StorageSettings;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With sync = interval the write-ahead log is synced every interval also while writes keep coming
 * (before, only when the writer found its queue empty: under steady load, never, so a power cut
 * lost everything since the last quiet moment). Real time passing is what is tested here: one
 * second of writes with a 5 ms interval must see syncs; the bound is loose for busy machines.
 */
class IntervalSyncUnderLoadTest {
  @TempDir Path dir;

  @Test
  void theLogIsSyncedEveryIntervalWhileWritesKeepComing() throws Exception {
    // interval 5 ms (StoreDirs)
    try (DurableStore store =
        DurableStore.open(StoreDirs.settings(dir, StorageSettings.Sync.INTERVAL, 100_000))) {
      GroupCommitWriter w = store.writer();
      AtomicBoolean stop = new AtomicBoolean();
      Thread[] producers = new Thread[2];
      for (int t = 0; t < producers.length; t++) {
        int id = t;
        producers[t] = new Thread(() -> {
          long i = 0;
          byte[] value = new byte[200];
          while (!stop.get()) {
            w.put(Family.RETAINED, ("k" + id + "-" + (i++ % 10_000)).getBytes(), value);
          }
        });
        producers[t].start();
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (w.batches() <= 10 && System.nanoTime() < deadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // until writes are under way
      }
      long syncsBefore = w.syncs();
      long batchesBefore = w.batches();
      Thread.sleep(1000);
      long syncs = w.syncs() - syncsBefore;
      long batches = w.batches() - batchesBefore;
      stop.set(true);
      for (Thread p : producers) {
        p.join(TimeUnit.SECONDS.toMillis(10));
        assertFalse(p.isAlive(), "a producer still waits to write after the stop");
      }
      assertTrue(syncs >= 5, "WAL synced only " + syncs + " times in 1 s (" + batches
          + " batches) with sync-interval 5 ms");
    }
  }
}

package io.simqtt.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.simqtt.config.StorageSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Forwards held for peers in a real RocksDB store: what a restart gives back, per peer, in order. */
class DiskForwardJournalTest {
  @TempDir Path dir;

  @Test
  void whatPeersHadNotAcknowledgedComesBackPerPeerInNumberOrder() throws Exception {
    StorageSettings settings = StoreDirs.always(dir);
    try (DurableStore store = DurableStore.open(settings)) {
      DiskForwardJournal journal = new DiskForwardJournal(store);
      for (long seq = 1; seq <= 300; seq++) {
        journal.hold("n2", seq, bytes("n2-" + seq));
        journal.hold("n3", seq, bytes("n3-" + seq));
      }
      journal.release("n2", LongStream.rangeClosed(1, 250).boxed().toList());
      journal.release("n3", LongStream.rangeClosed(1, 300).boxed().toList());
      journal.hold("n3", 301, bytes("n3-301"));
      durable(journal);
    }
    List<String> loaded = new ArrayList<>();
    try (DurableStore reopened = DurableStore.open(settings)) {
      new DiskForwardJournal(reopened).load((peer, seq, forward) -> loaded.add(
          peer + " " + seq + " " + new String(forward, StandardCharsets.UTF_8)));
    }
    List<String> expected = new ArrayList<>();
    for (long seq = 251; seq <= 300; seq++) {
      expected.add("n2 " + seq + " n2-" + seq);
    }
    expected.add("n3 301 n3-301");
    assertEquals(expected, loaded);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void durable(DiskForwardJournal journal) throws InterruptedException {
    CountDownLatch done = new CountDownLatch(1);
    journal.afterDurable(done::countDown);
    if (!done.await(10, TimeUnit.SECONDS)) {
      throw new AssertionError("the writes did not become durable");
    }
  }
}

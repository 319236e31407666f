package io.simqtt.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.config.StorageSettings;
import io.simqtt.core.cluster.SeenForwards.Seen;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a node recorded of the forwards it took, in a real RocksDB store: a restart gives back
 * each peer incarnation's watermark with the ranges still beyond it, and nothing an advance
 * passed or a forget deleted.
 */
class DiskSeenForwardsTest {
  @TempDir Path dir;

  @Test
  void watermarksAndRangesBeyondThemComeBackPerPeerIncarnation() {
    StorageSettings settings = StoreDirs.always(dir);
    try (DurableStore store = DurableStore.open(settings)) {
      DiskSeenForwards seen = new DiskSeenForwards(store);
      seen.advance("n2", 7, 10, List.of());
      seen.range("n2", 7, 21, 30);
      seen.range("n2", 7, 41, 50);
      seen.range("n2", 7, 61, 70);
      // The batch of 11..20 is written: the watermark passes the first two ranges.
      seen.advance("n2", 7, 50, List.of(21L, 41L));
      seen.advance("n3", -5, 3, List.of());
      seen.advance("n3", 9, 100, List.of());
      seen.range("n3", 9, 200, 210);
      seen.forget("n3", -5);
    }
    try (DurableStore reopened = DurableStore.open(settings)) {
      assertEquals(List.of(
              new Seen("n2", 7, 50, new TreeMap<>(Map.of(61L, 70L))),
              new Seen("n3", 9, 100, new TreeMap<>(Map.of(200L, 210L)))),
          new DiskSeenForwards(reopened).load());
    }
  }

  @Test
  void aValueOfTheWrongLengthIsReportedAsDamage() {
    StorageSettings settings = StoreDirs.always(dir);
    try (DurableStore store = DurableStore.open(settings)) {
      store.writer().put(Family.FORWARDS_SEEN, Keys.seen("n2", 7), new byte[3]);
    }
    try (DurableStore reopened = DurableStore.open(settings)) {
      StoreException e = assertThrows(StoreException.class,
          () -> new DiskSeenForwards(reopened).load());
      assertTrue(e.getMessage().contains("forwards_seen is 3 bytes long, not 8"), e.getMessage());
    }
  }
}

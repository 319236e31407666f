package io.simqtt.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * For tests outside the store's package: what a kill -9 right after a chosen batch of a {@link
 * DurableStore}'s writer leaves, a copy of the database taken on the writer thread between that
 * batch and the next ({@link GroupCommitWriter#afterEachBatch}, {@link DurableStore#checkpoint}).
 * A node restarted on the copy is that node killed there.
 */
public final class KillImage {
  private KillImage() {}

  /**
   * From now on, once a batch leaves an entry of {@code clientId}'s queue in the store, the store
   * as it is right after that batch goes to {@code image} (a directory not there yet), once.
   */
  public static void afterFirstBatchWithAnEntryOf(
      DurableStore store, String clientId, Path image) {
    AtomicBoolean taken = new AtomicBoolean();
    store.writer().afterEachBatch(() -> {
      if (!taken.get() && hasEntryOf(store, clientId)) {
        taken.set(true);
        store.checkpoint(image);
      }
    });
  }

  /**
   * From now on {@code store}'s writer waits for a hold's release however long it takes (it
   * still cuts one for a full queue or a blocking read behind it): a test whose release comes
   * after the 50 ms the writer waits otherwise, on a slow machine, must not see the hold cut.
   */
  public static void holdsNotCutForTime(DurableStore store) {
    store.writer().maxHoldNanos(TimeUnit.MINUTES.toNanos(5));
  }

  /** Whether {@link #afterFirstBatchWithAnEntryOf} took its image. */
  public static boolean taken(Path image) {
    return Files.isDirectory(image);
  }

  private static boolean hasEntryOf(DurableStore store, String clientId) {
    AtomicBoolean found = new AtomicBoolean();
    store.forEach(Family.MESSAGES, (key, value) -> {
      if (Keys.clientIdOf(key).equals(clientId)) {
        found.set(true);
      }
    });
    return found.get();
  }
}

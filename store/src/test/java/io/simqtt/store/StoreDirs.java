package io.simqtt.store;

import io.simqtt.config.StorageSettings;
import java.nio.file.Path;
import java.time.Duration;

/** Settings for a store in a test's directory. */
final class StoreDirs {
  private StoreDirs() {}

  static StorageSettings always(Path dir) {
    return settings(dir, StorageSettings.Sync.ALWAYS, 100_000);
  }

  static StorageSettings settings(Path dir, StorageSettings.Sync sync, int maxPendingWrites) {
    return new StorageSettings(
        dir, sync, Duration.ofMillis(5), maxPendingWrites, 64 << 20, 8 << 20);
  }
}

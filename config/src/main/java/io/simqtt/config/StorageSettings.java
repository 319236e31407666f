package io.simqtt.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Where a node keeps its sessions, their messages and its retained messages: in its heap (the
 * default) or, with a data directory, on local disk as well (durable mode).
 *
 * @param dataDir the store's directory, or null: in memory only
 * @param sync when a write counts as durable
 * @param syncInterval with {@link Sync#INTERVAL}, how often the write-ahead log is synced
 * @param maxPendingWrites writes queued for the disk at most; at the bound the writer waits
 * @param maxPendingBytes bytes of queued writes at most; at the bound the writer waits
 * @param cacheSize the store's block cache (reads at recovery and compaction), in bytes
 */
public record StorageSettings(
    Path dataDir,
    Sync sync,
    Duration syncInterval,
    int maxPendingWrites,
    int maxPendingBytes,
    int cacheSize) {

  /** When a write counts as durable. */
  public enum Sync {
    /** Synced to disk (the write-ahead log fsynced) before it is acknowledged, in groups. */
    ALWAYS,
    /**
     * Written to the operating system at once and synced every {@code syncInterval}: a process
     * crash loses nothing, a power cut the last interval's acknowledged writes.
     */
    INTERVAL
  }

  /** The defaults of reference.conf: in memory. */
  public static final StorageSettings MEMORY =
      new StorageSettings(null, Sync.ALWAYS, Duration.ofMillis(10), 100_000, 64 << 20, 32 << 20);

  /** Whether writes go to disk (a data directory is set). */
  public boolean durable() {
    return dataDir != null;
  }
}

package io.simqtt.store;

import java.nio.file.Path;

/**
 * The store cannot be used as it is: damaged, partial, written by a newer version, or its
 * directory unusable. The message says what and where; nothing was discarded.
 */
public final class StoreException extends RuntimeException {
  private final Path dataDir;

  StoreException(Path dataDir, String problem, Throwable cause) {
    super("the store in " + dataDir + " " + problem, cause);
    this.dataDir = dataDir;
  }

  StoreException(Path dataDir, String problem) {
    this(dataDir, problem, null);
  }

  /** The data directory the problem is in. */
  public Path dataDir() {
    return dataDir;
  }
}

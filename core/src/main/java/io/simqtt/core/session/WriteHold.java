package io.simqtt.core.session;

/**
 * Writes that must not become durable without what their releaser writes last: a {@link
 * SessionStore} (and a {@link io.simqtt.core.cluster.ForwardJournal} on the same store) writing
 * under a hold keeps every write made under it out of the disk until its release, and puts them,
 * with what the releaser writes in {@link #releaseAfter}, into one atomic unit. So a record
 * written there (a publisher's QoS 2 id once every copy of its message is written) survives a
 * crash exactly when every copy does. Other writes are not held back by it: they may reach the
 * disk before or after the unit.
 *
 * <p>The release must come, and soon: a store keeps what depends on the held writes (later
 * writes of their keys, acknowledgements queued behind them) waiting meanwhile. It bounds that
 * wait and then cuts the hold (counted): the held writes go to disk without waiting for the
 * release, and the atomicity is lost for that hold (a crash may keep a copy without its id). The
 * store on RocksDB cuts a hold 1 s after it took its first write, and all holds open when what
 * waits for them reaches a bound, as it closes, when a thread waits for room in its queue, and
 * when a blocking read is queued behind them (the releaser may be waiting for that read to end).
 * Thread-safe; released once.
 */
public interface WriteHold {
  /** A store that keeps nothing holds nothing. */
  WriteHold NONE = () -> { };

  /** The held writes may go to disk: nothing more belongs to the unit. */
  void release();

  /**
   * Runs {@code last} (null: nothing) on this thread, each write it queues to the store being
   * part of the unit, then releases the hold, whatever {@code last} threw.
   */
  default void releaseAfter(Runnable last) {
    try {
      if (last != null) {
        last.run();
      }
    } finally {
      release();
    }
  }
}

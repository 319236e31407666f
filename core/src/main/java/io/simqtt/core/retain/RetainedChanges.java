package io.simqtt.core.retain;

/**
 * Told of every change of a topic's retained entry in a {@link MemoryRetainedStore}, under that
 * topic's lock: the changes of one topic arrive in the order they were made, so a copy kept
 * elsewhere (a disk store) ends in the same state. Must not call back into the store.
 */
public interface RetainedChanges {
  /** Nothing follows the changes (in memory only). */
  RetainedChanges NONE =
      new RetainedChanges() {
        @Override
        public void changed(RetainedEntry entry) {}

        @Override
        public void forgotten(String topic) {}
      };

  /** The topic's entry is now {@code entry}: a message, or a tombstone (a clear or an expiry). */
  void changed(RetainedEntry entry);

  /** The topic's tombstone was forgotten (past its retention, or beyond the bound). */
  void forgotten(String topic);
}

package io.simqtt.core.retain;

import io.simqtt.core.cluster.RetainedStamp;
import io.simqtt.core.message.Message;
import io.simqtt.core.topic.LevelTrie;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/** Retained messages in a topic level trie: lock-free reads, per-topic atomic writes. */
public final class MemoryRetainedStore implements RetainedStore {
  /** Clears are remembered this long, enough for any delayed write from a peer to arrive. */
  private static final long CLEAR_TTL_MILLIS = 24 * 3600 * 1000L;
  /** And at most this many; the oldest are forgotten first. */
  private static final int MAX_CLEARS = 100_000;

  private final LevelTrie<RetainedEntry> trie = new LevelTrie<>();
  private final AtomicInteger size = new AtomicInteger();
  private final ConcurrentLinkedQueue<Clear> clears = new ConcurrentLinkedQueue<>();
  private final AtomicInteger clearCount = new AtomicInteger();

  private record Clear(RetainedEntry entry, long atMillis) {}

  @Override
  public boolean apply(String topic, Message message, RetainedStamp stamp) {
    RetainedEntry entry = new RetainedEntry(topic, message, stamp);
    Boolean won =
        trie.update(
            topic,
            true,
            node -> {
              RetainedEntry current = node.value();
              if (current != null && !stamp.isNewerThan(current.stamp())) {
                return false;
              }
              int delta = (message != null ? 1 : 0) - (current != null && !current.isClear() ? 1 : 0);
              size.addAndGet(delta);
              node.setValue(entry);
              return true;
            });
    if (won != null && won && message == null) {
      rememberClear(entry);
    }
    return won != null && won;
  }

  @Override
  public Message get(String topic) {
    RetainedEntry e = trie.get(topic);
    return e == null ? null : e.message();
  }

  @Override
  public List<Message> match(String filter, long nowMillis) {
    List<Message> found = new ArrayList<>();
    List<RetainedEntry> expired = new ArrayList<>(0);
    trie.matchFilter(
        filter,
        e -> {
          Message m = e.message();
          if (m == null) {
            return;
          }
          if (m.isExpired(nowMillis)) {
            expired.add(e);
          } else {
            found.add(m);
          }
        });
    // Removed after the walk, and only if not replaced meanwhile by a newer write. Every node
    // expires the message by itself, so nothing is remembered.
    for (RetainedEntry e : expired) {
      removeIf(e);
    }
    return found;
  }

  @Override
  public List<RetainedEntry> entries() {
    List<RetainedEntry> all = new ArrayList<>();
    trie.forEach(all::add);
    return all;
  }

  @Override
  public int size() {
    return size.get();
  }

  /** Trie nodes, for leak tests. */
  int nodeCount() {
    return trie.nodeCount();
  }

  private void rememberClear(RetainedEntry entry) {
    long now = System.currentTimeMillis();
    clears.add(new Clear(entry, now));
    clearCount.incrementAndGet();
    Clear oldest;
    while ((oldest = clears.peek()) != null
        && (clearCount.get() > MAX_CLEARS || now - oldest.atMillis() > CLEAR_TTL_MILLIS)) {
      if (clears.remove(oldest)) {
        clearCount.decrementAndGet();
        removeIf(oldest.entry());
      }
    }
  }

  /** Drops the topic's entry if it is still {@code expected}. */
  private void removeIf(RetainedEntry expected) {
    trie.update(
        expected.topic(),
        false,
        node -> {
          if (node.value() != expected) {
            return false;
          }
          if (!expected.isClear()) {
            size.decrementAndGet();
          }
          node.setValue(null);
          return true;
        });
  }
}

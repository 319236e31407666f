package io.simqtt.core.retain;

import io.simqtt.core.message.Message;
import io.simqtt.core.topic.LevelTrie;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Retained messages in a topic level trie: lock-free reads, per-topic atomic writes. */
public final class MemoryRetainedStore implements RetainedStore {
  private final LevelTrie<Message> trie = new LevelTrie<>();
  private final AtomicInteger size = new AtomicInteger();

  @Override
  public void put(Message message) {
    trie.update(
        message.topic(),
        true,
        node -> {
          if (node.value() == null) {
            size.incrementAndGet();
          }
          node.setValue(message);
          return null;
        });
  }

  @Override
  public boolean remove(String topic) {
    return removeIf(topic, null);
  }

  @Override
  public Message get(String topic) {
    return trie.get(topic);
  }

  @Override
  public List<Message> match(String filter, long nowMillis) {
    List<Message> found = new ArrayList<>();
    List<Message> expired = new ArrayList<>(0);
    trie.matchFilter(
        filter,
        m -> {
          if (m.isExpired(nowMillis)) {
            expired.add(m);
          } else {
            found.add(m);
          }
        });
    // Removed after the walk, and only if not replaced meanwhile by a fresh put.
    for (Message m : expired) {
      removeIf(m.topic(), m);
    }
    return found;
  }

  @Override
  public int size() {
    return size.get();
  }

  /** Trie nodes, for leak tests. */
  int nodeCount() {
    return trie.nodeCount();
  }

  /** Removes the topic's message if it is expected (any message when expected is null). */
  private boolean removeIf(String topic, Message expected) {
    Boolean removed =
        trie.update(
            topic,
            false,
            node -> {
              Message current = node.value();
              if (current == null || (expected != null && current != expected)) {
                return false;
              }
              node.setValue(null);
              size.decrementAndGet();
              return true;
            });
    return removed != null && removed;
  }
}

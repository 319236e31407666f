package io.simqtt.core.retain;

import io.simqtt.config.RetainedSettings;
import io.simqtt.core.cluster.RetainedStamp;
import io.simqtt.core.message.Message;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.topic.LevelTrie;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retained messages in a topic level trie: lock-free reads, per-topic atomic writes.
 *
 * <p>A topic's entry is the newest write (by {@link RetainedStamp}) this node has seen: a live
 * message, or a tombstone (message null) when that write was a clear or a message whose expiry
 * deadline has passed. An expired message becomes the tombstone of its own stamp: the write is
 * dead, so it still beats every older write, and a copy of that same write (same stamp) arriving
 * later cannot bring it back either, since its deadline travels with it and has passed.
 *
 * <p>Tombstones are kept for the configured retention, and at most the configured number: beyond
 * it the oldest are dropped early, counted in {@link BrokerMetrics#retainedTombstonesDropped()}
 * and logged once per burst. {@link #sweep} (run on a timer by the broker) turns due messages
 * into tombstones and drops tombstones past their retention.
 *
 * <p>Locks: a topic's trie node lock (held by {@link LevelTrie#update}) may take the tombstone
 * index lock, never the reverse; index entries are removed from the trie only after that lock is
 * released, and only if the trie still holds that very entry.
 */
public final class MemoryRetainedStore implements RetainedStore {
  private static final Logger LOG = LoggerFactory.getLogger(MemoryRetainedStore.class);
  /** Early drops closer together than this are one burst, logged once. */
  static final long BURST_GAP_MILLIS = 60_000;

  private static final Comparator<RetainedEntry> BY_DEADLINE =
      Comparator.<RetainedEntry>comparingLong(e -> e.message().expiresAtMillis())
          .thenComparing(RetainedEntry::stamp)
          .thenComparing(RetainedEntry::topic);

  private final LevelTrie<RetainedEntry> trie = new LevelTrie<>();
  private final AtomicInteger size = new AtomicInteger();
  private final long retentionMillis;
  private final int maxTombstones;
  private final LongSupplier clock;
  private final BrokerMetrics metrics;
  private final RetainedChanges changes;
  /** Live messages with an expiry, soonest deadline first; changed under the topic's lock. */
  private final ConcurrentSkipListSet<RetainedEntry> expiring =
      new ConcurrentSkipListSet<>(BY_DEADLINE);
  /**
   * The topics whose entry is a tombstone, oldest first; guarded by itself and changed under the
   * topic's trie lock, so it agrees with the trie (a dropped tombstone leaves here first).
   */
  private final LinkedHashMap<String, Tombstone> tombstones = new LinkedHashMap<>();
  private volatile int tombstoneCount;
  /** When the last early drop happened; guarded by {@link #tombstones}. */
  private long lastEarlyDropMillis;
  private boolean droppedEarly;

  private record Tombstone(RetainedEntry entry, long sinceMillis) {}

  /** The defaults of reference.conf, the wall clock and metrics of its own (tests). */
  public MemoryRetainedStore() {
    this(RetainedSettings.DEFAULT, System::currentTimeMillis, new BrokerMetrics());
  }

  /**
   * @param clock wall-clock milliseconds: expiry deadlines are compared with it and tombstones
   *     are dated by it
   * @param metrics where tombstones dropped before their retention are counted
   */
  public MemoryRetainedStore(
      RetainedSettings settings, LongSupplier clock, BrokerMetrics metrics) {
    this(settings, clock, metrics, RetainedChanges.NONE);
  }

  /**
   * As above, with {@code changes} told of every change of an entry under its topic's lock (a
   * disk store writes them through).
   */
  public MemoryRetainedStore(
      RetainedSettings settings,
      LongSupplier clock,
      BrokerMetrics metrics,
      RetainedChanges changes) {
    this.changes = changes;
    this.retentionMillis = settings.tombstoneRetention().toMillis();
    this.maxTombstones = settings.maxTombstones();
    this.clock = clock;
    this.metrics = metrics;
  }

  @Override
  public boolean apply(String topic, Message message, RetainedStamp stamp) {
    long now = clock.getAsLong();
    // A write whose deadline has passed is dead wherever it arrives: it is kept as the tombstone
    // of its stamp, so it still beats every older write.
    Message kept = message == null || message.isExpired(now) ? null : message;
    RetainedEntry entry = new RetainedEntry(topic, kept, stamp);
    boolean won =
        trie.update(
            topic,
            true,
            node -> {
              RetainedEntry current = node.value();
              if (current != null && !supersedes(entry, current)) {
                return false;
              }
              replace(node, current, entry, now);
              return true;
            });
    if (won && entry.isClear()) {
      trimTombstones(now);
    }
    return won;
  }

  /**
   * Last writer wins. Equal stamps are the same write (a stamp is never issued twice): it only
   * changes from live to dead, never back.
   */
  private static boolean supersedes(RetainedEntry incoming, RetainedEntry current) {
    int c = incoming.stamp().compareTo(current.stamp());
    return c > 0 || (c == 0 && incoming.isClear() && !current.isClear());
  }

  /** Under the topic's lock: {@code current} gives way to {@code entry}; every index follows. */
  private void replace(
      LevelTrie.Node<RetainedEntry> node, RetainedEntry current, RetainedEntry entry, long now) {
    if (current != null && !current.isClear()) {
      size.decrementAndGet();
      if (current.message().hasExpiry()) {
        expiring.remove(current);
      }
    }
    node.setValue(entry);
    changes.changed(entry);
    if (!entry.isClear()) {
      size.incrementAndGet();
      if (entry.message().hasExpiry()) {
        expiring.add(entry);
      }
    }
    if (entry.isClear() || (current != null && current.isClear())) {
      synchronized (tombstones) {
        // Removed first, so a new tombstone for the topic goes to the end: newest.
        tombstones.remove(entry.topic());
        if (entry.isClear()) {
          tombstones.put(entry.topic(), new Tombstone(entry, now));
        }
        tombstoneCount = tombstones.size();
      }
    }
  }

  @Override
  public Message get(String topic) {
    RetainedEntry e = trie.get(topic);
    if (e == null || e.isClear()) {
      return null;
    }
    Message m = e.message();
    return m.isExpired(clock.getAsLong()) ? null : m;
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
    // Turned into tombstones after the walk, and only if not replaced meanwhile.
    if (!expired.isEmpty()) {
      long now = clock.getAsLong();
      for (RetainedEntry e : expired) {
        expire(e, now);
      }
      trimTombstones(now);
    }
    return found;
  }

  @Override
  public List<RetainedEntry> entries() {
    long now = clock.getAsLong();
    List<RetainedEntry> all = new ArrayList<>();
    trie.forEach(
        e ->
            all.add(
                e.isClear() || !e.message().isExpired(now)
                    ? e
                    : new RetainedEntry(e.topic(), null, e.stamp())));
    return all;
  }

  @Override
  public int size() {
    return size.get();
  }

  @Override
  public int tombstoneCount() {
    return tombstoneCount;
  }

  @Override
  public void sweep() {
    long now = clock.getAsLong();
    for (Iterator<RetainedEntry> it = expiring.iterator(); it.hasNext(); ) {
      RetainedEntry e = it.next();
      if (!e.message().isExpired(now)) {
        break;
      }
      it.remove();
      expire(e, now);
    }
    trimTombstones(now);
  }

  /** Trie nodes, for leak tests. */
  int nodeCount() {
    return trie.nodeCount();
  }

  /** The live message {@code e} becomes the tombstone of its stamp, if it is still current. */
  private void expire(RetainedEntry e, long now) {
    trie.update(
        e.topic(),
        false,
        node -> {
          if (node.value() != e) {
            return false;
          }
          replace(node, e, new RetainedEntry(e.topic(), null, e.stamp()), now);
          return true;
        });
  }

  /**
   * Drops the tombstones past their retention, then the oldest ones while there are more than
   * the bound; those are dropped early, counted and logged.
   */
  private void trimTombstones(long now) {
    if (tombstoneCount <= maxTombstones && !oldestIsDue(now)) {
      return;
    }
    List<RetainedEntry> due = new ArrayList<>();
    List<RetainedEntry> early = new ArrayList<>();
    synchronized (tombstones) {
      for (Iterator<Tombstone> it = tombstones.values().iterator(); it.hasNext(); ) {
        Tombstone t = it.next();
        boolean expired = now - t.sinceMillis() >= retentionMillis;
        if (!expired && tombstones.size() <= maxTombstones) {
          break;
        }
        it.remove();
        (expired ? due : early).add(t.entry());
      }
      tombstoneCount = tombstones.size();
    }
    for (RetainedEntry e : due) {
      removeIf(e);
    }
    int dropped = 0;
    for (RetainedEntry e : early) {
      if (removeIf(e)) {
        dropped++;
      }
    }
    if (dropped > 0) {
      droppedEarly(dropped, now);
    }
  }

  private boolean oldestIsDue(long now) {
    synchronized (tombstones) {
      Iterator<Tombstone> it = tombstones.values().iterator();
      return it.hasNext() && now - it.next().sinceMillis() >= retentionMillis;
    }
  }

  private void droppedEarly(int count, long now) {
    metrics.retainedTombstonesDropped(count);
    boolean newBurst;
    synchronized (tombstones) {
      newBurst = !droppedEarly || now - lastEarlyDropMillis >= BURST_GAP_MILLIS;
      droppedEarly = true;
      lastEarlyDropMillis = now;
    }
    if (newBurst) {
      LOG.warn(
          "retained messages: mqtt.retained.max-tombstones = {} reached, so the oldest clears and"
              + " expiries are forgotten before mqtt.retained.tombstone-retention = {}; a node"
              + " that was apart since before one of them can bring the older message back."
              + " Counted in simqtt_retained_tombstones_dropped_total; logged once per burst",
          maxTombstones,
          human(retentionMillis));
    }
  }

  /** 24h, 90m, 1500ms: as a duration is written in the config. */
  static String human(long millis) {
    long[] units = {86_400_000, 3_600_000, 60_000, 1000};
    String[] names = {"d", "h", "m", "s"};
    for (int i = 0; i < units.length; i++) {
      if (millis % units[i] == 0) {
        return millis / units[i] + names[i];
      }
    }
    return millis + "ms";
  }

  /** Drops the topic's entry if it is still {@code expected}; returns whether it did. */
  private boolean removeIf(RetainedEntry expected) {
    Boolean removed =
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
              changes.forgotten(expected.topic());
              return true;
            });
    return removed != null && removed;
  }
}

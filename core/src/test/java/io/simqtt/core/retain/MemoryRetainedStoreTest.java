package io.simqtt.core.retain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import io.simqtt.config.RetainedSettings;
import io.simqtt.core.cluster.RetainedStamp;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.message.Message;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.topic.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class MemoryRetainedStoreTest {
  static final Duration RETENTION = Duration.ofMinutes(1);
  final BrokerMetrics metrics = new BrokerMetrics();
  /** The store's wall clock, moved by the tests. */
  long now;
  final MemoryRetainedStore store = store(1000);
  long clock;

  MemoryRetainedStore store(int maxTombstones) {
    return store(RETENTION, maxTombstones);
  }

  MemoryRetainedStore store(Duration retention, int maxTombstones) {
    return new MemoryRetainedStore(
        new RetainedSettings(retention, maxTombstones), () -> now, metrics);
  }

  void put(Message m) {
    assertTrue(store.apply(m.topic(), m, new RetainedStamp(++clock, "n1")));
  }

  boolean remove(String topic) {
    boolean had = store.get(topic) != null;
    store.apply(topic, null, new RetainedStamp(++clock, "n1"));
    return had;
  }

  static Message msg(String topic, long expiresAt) {
    return new Message(topic, new byte[] {1}, 1, true, MqttProperties.empty(), expiresAt, "p");
  }

  List<String> topics(String filter, long now) {
    List<String> out = new ArrayList<>();
    for (Message m : store.match(filter, now)) {
      out.add(m.topic());
    }
    out.sort(null);
    return out;
  }

  @Test
  void putReplaceRemove() {
    Message a = msg("a/b", 0);
    put(a);
    assertSame(a, store.get("a/b"));
    assertNull(store.get("a"));
    assertNull(store.get("a/b/c"));
    Message a2 = msg("a/b", 0);
    put(a2);
    assertSame(a2, store.get("a/b"));
    assertEquals(1, store.size());
    assertTrue(remove("a/b"));
    assertFalse(remove("a/b"));
    assertFalse(remove("nope/x"));
    assertNull(store.get("a/b"));
    assertEquals(0, store.size());
  }

  @Test
  void lastWriterWinsWhateverTheOrderOfArrival() {
    Message older = msg("t", 0);
    Message newer = msg("t", 0);
    assertTrue(store.apply("t", newer, new RetainedStamp(20, "n1")));
    assertFalse(store.apply("t", older, new RetainedStamp(10, "n2")), "an older write loses");
    assertSame(newer, store.get("t"));
    assertFalse(store.apply("t", older, new RetainedStamp(20, "n0")), "same clock: node id decides");
    assertTrue(store.apply("t", older, new RetainedStamp(20, "n2")));
    assertSame(older, store.get("t"));
    assertTrue(store.apply("t", null, new RetainedStamp(30, "n1")));
    assertFalse(store.apply("t", newer, new RetainedStamp(25, "n3")), "a clear is remembered");
    assertNull(store.get("t"));
    assertEquals(0, store.size());
    List<RetainedEntry> entries = store.entries();
    assertEquals(1, entries.size());
    assertTrue(entries.get(0).isClear());
    assertEquals(new RetainedStamp(30, "n1"), entries.get(0).stamp());
  }

  @Test
  void entriesIncludeDollarTopics() {
    put(msg("$SYS/x", 0));
    put(msg("a", 0));
    assertEquals(2, store.entries().size());
  }

  @Test
  void wildcardMatch() {
    for (String t : List.of("sport", "sport/tennis", "sport/tennis/p1", "sport/golf/p1", "/finance", "x")) {
      put(msg(t, 0));
    }
    assertEquals(List.of("sport/tennis/p1"), topics("sport/tennis/p1", 0));
    assertEquals(List.of("sport", "sport/golf/p1", "sport/tennis", "sport/tennis/p1"), topics("sport/#", 0));
    assertEquals(List.of("sport/golf/p1", "sport/tennis/p1"), topics("sport/+/p1", 0));
    assertEquals(List.of("sport", "x"), topics("+", 0));
    assertEquals(List.of("/finance", "sport/tennis"), topics("+/+", 0));
    assertEquals(List.of("/finance"), topics("/+", 0));
    assertEquals(6, topics("#", 0).size());
    assertEquals(List.of(), topics("nothing/#", 0));
  }

  @Test
  void dollarTopicsOnlyForExplicitFilters() {
    put(msg("$SYS/monitor/Clients", 0));
    put(msg("a/monitor/Clients", 0));
    assertEquals(List.of("a/monitor/Clients"), topics("#", 0));
    assertEquals(List.of("a/monitor/Clients"), topics("+/monitor/Clients", 0));
    assertEquals(List.of("$SYS/monitor/Clients"), topics("$SYS/#", 0));
    assertEquals(List.of("$SYS/monitor/Clients"), topics("$SYS/monitor/+", 0));
  }

  @Test
  void expiredAreSkippedAndBecomeTombstonesThenAreForgotten() {
    put(msg("e/old", 1_000));
    put(msg("e/live", 5_000));
    put(msg("e/forever", 0));
    assertEquals(List.of("e/forever", "e/live", "e/old"), topics("e/#", 999));
    assertEquals(List.of("e/forever", "e/live"), topics("e/#", 1_000));
    now = 1_000;
    assertNull(store.get("e/old"));
    assertEquals(2, store.size());
    assertEquals(1, store.tombstoneCount());
    now = 10_000;
    assertNull(store.get("e/live"), "expired, even before anyone looked");
    assertEquals(List.of("e/forever"), topics("e/+", 10_000));
    assertEquals(1, store.size());
    assertEquals(2, store.tombstoneCount());
    assertEquals(4, store.nodeCount(), "the tombstones keep their topics");
    now = 10_000 + RETENTION.toMillis();
    store.sweep();
    assertEquals(0, store.tombstoneCount());
    assertEquals(2, store.nodeCount(), "forgotten after the retention: nothing left behind");
    assertEquals(0, metrics.retainedTombstonesDropped(), "forgotten in time, not early");
  }

  @Test
  void anExpiredWriteStaysDeadWhenAnOlderOrTheSameWriteArrivesFromAPeer() {
    Message old = msg("t", 0);
    Message expiring = msg("t", 5_000);
    RetainedStamp oldStamp = new RetainedStamp(10, "n2");
    RetainedStamp newStamp = new RetainedStamp(20, "n1");
    assertTrue(store.apply("t", old, oldStamp));
    assertTrue(store.apply("t", expiring, newStamp));
    now = 6_000;
    assertEquals(List.of(), topics("t", now), "expired here");

    // A peer that was apart still holds the older write, or a copy of the expired one.
    assertFalse(store.apply("t", old, oldStamp), "an older write cannot come back");
    assertFalse(store.apply("t", expiring, newStamp), "nor the expired write itself");
    assertNull(store.get("t"));
    assertEquals(List.of(), topics("#", now));
    assertEquals(0, store.size());
    assertEquals(List.of(new RetainedEntry("t", null, newStamp)), store.entries(),
        "what a peer is sent at link-up: the expired write, dead");

    Message newer = msg("t", 0);
    assertTrue(store.apply("t", newer, new RetainedStamp(30, "n2")), "a newer write wins");
    assertSame(newer, store.get("t"));
    assertEquals(0, store.tombstoneCount());
  }

  @Test
  void aMessageExpiredBeforeItArrivesIsKeptAsTheTombstoneOfItsStamp() {
    Message old = msg("t", 0);
    RetainedStamp oldStamp = new RetainedStamp(10, "n2");
    RetainedStamp newStamp = new RetainedStamp(20, "n1");
    assertTrue(store.apply("t", old, oldStamp));
    now = 6_000;
    assertTrue(store.apply("t", msg("t", 5_000), newStamp), "it replaces the older write");
    assertNull(store.get("t"));
    assertEquals(0, store.size());
    assertEquals(1, store.tombstoneCount());
    assertEquals(List.of(new RetainedEntry("t", null, newStamp)), store.entries());
    assertFalse(store.apply("t", old, oldStamp));
    assertEquals(List.of(), topics("#", now));
  }

  @Test
  void theSameWriteOnlyTurnsFromLiveToDead() {
    RetainedStamp stamp = new RetainedStamp(20, "n1");
    Message m = msg("t", 5_000);
    assertTrue(store.apply("t", m, stamp));
    // A peer whose clock is ahead already expired it and sends its tombstone at link-up.
    assertTrue(store.apply("t", null, stamp));
    assertNull(store.get("t"));
    assertEquals(0, store.size());
    assertFalse(store.apply("t", m, stamp), "the live copy does not come back");
    assertFalse(store.apply("t", null, stamp), "nothing changes");
    assertEquals(1, store.tombstoneCount());
  }

  @Test
  void sweepExpiresMessagesNobodyAsksFor() {
    put(msg("s/a", 2_000));
    put(msg("s/b", 3_000));
    put(msg("s/c", 0));
    now = 2_500;
    assertEquals(2, store.entries().stream().filter(e -> !e.isClear()).count(),
        "entries already give the expired one as a tombstone");
    store.sweep();
    assertEquals(2, store.size());
    assertEquals(1, store.tombstoneCount());
    now = 3_000;
    store.sweep();
    assertEquals(1, store.size());
    assertEquals(2, store.tombstoneCount());
    assertFalse(store.apply("s/a", msg("s/a", 0), new RetainedStamp(0, "n9")));
  }

  @Test
  void aClearIsRememberedForTheRetentionThenForgotten() {
    assertTrue(store.apply("c", null, new RetainedStamp(20, "n1")));
    assertEquals(1, store.tombstoneCount());
    now = RETENTION.toMillis() - 1;
    store.sweep();
    assertFalse(store.apply("c", msg("c", 0), new RetainedStamp(10, "n2")));
    now = RETENTION.toMillis();
    store.sweep();
    assertEquals(0, store.tombstoneCount());
    assertEquals(0, store.nodeCount());
    // Past the retention an older write is taken again: what the retention is there to bound.
    assertTrue(store.apply("c", msg("c", 0), new RetainedStamp(10, "n2")));
    assertEquals(0, metrics.retainedTombstonesDropped());
  }

  @Test
  void oldTombstonesAreAlsoForgottenWhenTheNextOneIsWritten() {
    assertTrue(store.apply("x", null, new RetainedStamp(1, "n1")));
    now = RETENTION.toMillis();
    assertTrue(store.apply("y", null, new RetainedStamp(2, "n1")));
    assertEquals(1, store.tombstoneCount(), "x forgotten without a sweep");
    assertNull(store.entries().stream().filter(e -> e.topic().equals("x")).findAny()
        .orElse(null));
  }

  @Test
  void theBoundDropsTheOldestTombstonesEarlyCountsThemAndLogsOncePerBurst() {
    MemoryRetainedStore small = store(Duration.ofHours(1), 10);
    ListAppender<ILoggingEvent> log = listen();
    try {
      for (int i = 0; i < 20; i++) {
        assertTrue(small.apply("b/" + i, null, new RetainedStamp(100 + i, "n1")));
      }
      assertEquals(10, metrics.retainedTombstonesDropped());
      assertEquals(10, small.tombstoneCount());
      for (int i = 0; i < 20; i++) {
        boolean forgotten = small.apply("b/" + i, msg("b/" + i, 0), new RetainedStamp(1, "n2"));
        // The consequence the metric warns of: an older write is taken again.
        assertEquals(i < 10, forgotten, "b/" + i);
      }
      assertEquals(1, warnings(log), "one burst, one warning");

      now += MemoryRetainedStore.BURST_GAP_MILLIS - 1;
      for (int i = 20; i < 25; i++) {
        small.apply("b/" + i, null, new RetainedStamp(200 + i, "n1"));
      }
      assertEquals(15, metrics.retainedTombstonesDropped());
      assertEquals(1, warnings(log), "still the same burst");
      now += MemoryRetainedStore.BURST_GAP_MILLIS;
      small.apply("b/25", null, new RetainedStamp(300, "n1"));
      assertEquals(16, metrics.retainedTombstonesDropped());
      assertEquals(2, warnings(log), "a new burst");
    } finally {
      logger().detachAppender(log);
    }
  }

  @Test
  void churnOnOneTopicKeepsOneTombstoneAndDropsNone() {
    MemoryRetainedStore small = store(10);
    long hlc = 0;
    for (int i = 0; i < 100; i++) {
      assertTrue(small.apply("churn", msg("churn", 0), new RetainedStamp(++hlc, "n1")));
      assertTrue(small.apply("churn", null, new RetainedStamp(++hlc, "n1")));
    }
    assertEquals(1, small.tombstoneCount());
    assertEquals(0, metrics.retainedTombstonesDropped());
    assertTrue(small.apply("churn", msg("churn", 0), new RetainedStamp(++hlc, "n1")));
    assertEquals(0, small.tombstoneCount());
    assertEquals(1, small.size());
  }

  @Test
  void concurrentWritesKeepTheIndexesInStepWithTheTrie() throws Exception {
    MemoryRetainedStore small = store(20);
    int threads = 4;
    AtomicLong hlc = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int seed = t;
        done.add(pool.submit(() -> {
          Random r = new Random(seed);
          for (int i = 0; i < 20_000; i++) {
            String topic = "c/" + r.nextInt(50);
            RetainedStamp stamp = new RetainedStamp(hlc.incrementAndGet(), "n" + seed);
            small.apply(topic, r.nextBoolean() ? null : msg(topic, 0), stamp);
          }
        }));
      }
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    List<RetainedEntry> entries = small.entries();
    long clears = entries.stream().filter(RetainedEntry::isClear).count();
    assertEquals(clears, small.tombstoneCount());
    assertTrue(small.tombstoneCount() <= 20, "bounded: " + small.tombstoneCount());
    assertEquals(entries.size() - clears, small.size());
  }

  /** A copy kept from the reported changes alone, as a disk store keeps one. */
  static final class FollowedCopy implements RetainedChanges {
    final java.util.Map<String, RetainedEntry> entries =
        new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public void changed(RetainedEntry entry) {
      entries.put(entry.topic(), entry);
    }

    @Override
    public void forgotten(String topic) {
      assertTrue(entries.remove(topic) != null, "forgotten only what was reported");
    }
  }

  @Test
  void aCopyFollowingTheReportedChangesEndsEqualUnderConcurrentWritesExpiriesAndForgetting()
      throws Exception {
    FollowedCopy copy = new FollowedCopy();
    MemoryRetainedStore followed = new MemoryRetainedStore(
        new RetainedSettings(RETENTION, 20), () -> now, metrics, copy);
    int threads = 4;
    AtomicLong hlc = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int seed = t;
        done.add(pool.submit(() -> {
          Random r = new Random(seed);
          for (int i = 0; i < 20_000; i++) {
            String topic = "c/" + r.nextInt(50);
            RetainedStamp stamp = new RetainedStamp(hlc.incrementAndGet(), "n" + seed);
            // Some expire at once (kept as tombstones), some later (swept below).
            Message m = switch (r.nextInt(4)) {
              case 0 -> null;
              case 1 -> msg(topic, 1);
              case 2 -> msg(topic, 1_000);
              default -> msg(topic, 0);
            };
            followed.apply(topic, m, stamp);
          }
        }));
      }
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    now = 2_000;
    followed.sweep(); // expires the rest, and drops tombstones over the bound
    now += RETENTION.toMillis();
    followed.sweep(); // forgets every tombstone

    java.util.Map<String, RetainedEntry> expected = new java.util.HashMap<>();
    for (RetainedEntry e : followed.entries()) {
      expected.put(e.topic(), e);
    }
    assertEquals(expected, copy.entries);
    assertEquals(0, followed.tombstoneCount());
  }

  private static Logger logger() {
    return (Logger) LoggerFactory.getLogger(MemoryRetainedStore.class);
  }

  private static ListAppender<ILoggingEvent> listen() {
    ListAppender<ILoggingEvent> a = new ListAppender<>();
    a.start();
    logger().addAppender(a);
    return a;
  }

  private static long warnings(ListAppender<ILoggingEvent> log) {
    return log.list.stream().filter(e -> e.getLevel() == Level.WARN).count();
  }

  @Test
  void matchEqualsBruteForce() {
    Random r = new Random(7);
    String[] words = {"a", "b", "", "$SYS"};
    List<String> all = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      StringBuilder t = new StringBuilder(words[r.nextInt(words.length)]);
      for (int l = r.nextInt(3); l > 0; l--) {
        t.append('/').append(words[r.nextInt(3)]);
      }
      if (t.length() > 0 && store.get(t.toString()) == null) {
        put(msg(t.toString(), 0));
        all.add(t.toString());
      }
    }
    String[] filters = {"#", "+", "+/+", "a/#", "+/b/#", "$SYS/#", "/+", "a//+", "+/#", "b/+/a"};
    for (String f : filters) {
      List<String> expected = new ArrayList<>();
      for (String t : all) {
        if (Topics.matches(f, t)) {
          expected.add(t);
        }
      }
      expected.sort(null);
      assertEquals(expected, topics(f, 0), f);
    }
    for (String t : all) {
      assertTrue(remove(t));
    }
    assertEquals(0, store.size());
  }
}

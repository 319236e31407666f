package io.simqtt.core.topic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Writers churn subscriptions under shared prefixes, so interior nodes are pruned and re-created
 * all the time, while readers match. Each writer owns its clients, so its own model is the
 * expected final state for them; right after each subscribe the writer checks it is visible, which
 * catches a subscription lost to a concurrent prune.
 */
class SubscriptionTreeConcurrencyTest {
  private static final int WRITERS = 4;
  private static final int READERS = 2;
  private static final int OPS = 20_000;
  private static final String[] COMMON = {
    "p/q/r/s", "p/q/r", "p/q/+/s", "p/+/r/#", "p/q/r/s/t", "p/q/x", "p/#", "p",
    "$share/g/p/q/r/s", "$share/h/p/q/+", "$share/g/p/q/r/s/t"
  };

  /**
   * Forces the race: a subscriber has walked to a node without locking it; before it locks, an
   * unsubscribe on another thread prunes that node (and its ancestors). The subscription must
   * land on a fresh path, not on the detached node.
   */
  @ParameterizedTest(name = "{0} pruned before {1} locks it")
  @CsvSource({
    // leaf found by the walk, then pruned: caught by the dead check under the leaf lock
    "x/y/a, a, x/y/a",
    // parent found by the walk, pruned before the child is created under it
    "x/y/a, y, x/y/b",
  })
  void pruneBetweenWalkAndLockDoesNotLoseSubscription(
      String existing, String pausedAt, String subscribed) throws Exception {
    SubscriptionTree tree = new SubscriptionTree();
    SubscriptionOptions o = new SubscriptionOptions(1, false, false, 0, 0);
    tree.subscribe("A", existing, o);
    AtomicBoolean fired = new AtomicBoolean();
    ExecutorService other = Executors.newSingleThreadExecutor();
    try {
      tree.trie.beforeLock =
          node -> {
            if (node.level.equals(pausedAt) && fired.compareAndSet(false, true)) {
              try {
                assertTrue(other.submit(() -> tree.unsubscribe("A", existing)).get(5, TimeUnit.SECONDS));
              } catch (Exception e) {
                throw new AssertionError(e);
              }
            }
          };
      tree.subscribe("B", subscribed, o);
    } finally {
      tree.trie.beforeLock = null;
      other.shutdownNow();
    }
    assertTrue(fired.get());
    assertEquals(List.of(new Matches.Entry("B", subscribed, o)), tree.match(subscribed).direct());
    assertEquals(3, tree.nodeCount());
    assertEquals(1, tree.subscriptionCount());
    tree.unsubscribe("B", subscribed);
    assertEquals(0, tree.nodeCount());
  }

  /** A topic matched by filter (shares by their inner filter). */
  static String sampleTopic(String filter) {
    SharedFilter share = Topics.parseShared(filter);
    String f = share == null ? filter : share.filter();
    String t = f.replace("+", "z").replace("/#", "").replace("#", "z");
    return t.isEmpty() ? "z" : t;
  }

  @Test
  void concurrentChurnLosesNothingAndLeavesNoNodes() throws Exception {
    SubscriptionTree tree = new SubscriptionTree();
    ExecutorService pool = Executors.newFixedThreadPool(WRITERS + READERS);
    CountDownLatch start = new CountDownLatch(1);
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicLong reads = new AtomicLong();
    Map<String, SubscriptionOptions> all = new ConcurrentHashMap<>();
    try {
      List<Future<?>> writers = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        int id = w;
        writers.add(pool.submit(() -> write(tree, id, start, all)));
      }
      List<Future<?>> readers = new ArrayList<>();
      for (int i = 0; i < READERS; i++) {
        int id = i;
        readers.add(
            pool.submit(
                () -> {
                  Random r = new Random(100 + id);
                  start.await();
                  while (writing.get()) {
                    String f = COMMON[r.nextInt(COMMON.length)];
                    tree.match(sampleTopic(f)).isEmpty();
                    reads.incrementAndGet();
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : writers) {
        f.get(60, TimeUnit.SECONDS);
      }
      writing.set(false);
      for (Future<?> f : readers) {
        f.get(10, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertTrue(reads.get() > 0);

    assertEquals(all.size(), tree.subscriptionCount());
    assertEquals(SubscriptionTreeRandomTest.distinctFilters(all), tree.filterCount());
    assertEquals(expectedNodes(all.keySet()), tree.nodeCount());
    Set<String> topics = new HashSet<>();
    for (String key : all.keySet()) {
      topics.add(sampleTopic(key.substring(key.indexOf(' ') + 1)));
    }
    for (String f : COMMON) {
      topics.add(sampleTopic(f));
    }
    for (String topic : topics) {
      assertEquals(
          SubscriptionTreeRandomTest.expected(all, topic),
          SubscriptionTreeRandomTest.actual(tree, topic),
          topic);
    }

    for (String key : all.keySet()) {
      int sp = key.indexOf(' ');
      assertTrue(tree.unsubscribe(key.substring(0, sp), key.substring(sp + 1)), key);
    }
    assertEquals(0, tree.nodeCount());
    assertEquals(0, tree.subscriptionCount());
    assertEquals(0, tree.filterCount());
  }

  private static Void write(
      SubscriptionTree tree, int id, CountDownLatch start, Map<String, SubscriptionOptions> all)
      throws InterruptedException {
    Random r = new Random(id);
    List<String> filters = new ArrayList<>(List.of(COMMON));
    filters.add("p/q/r/s/t" + id);
    filters.add("p/q/u" + id + "/v");
    filters.add("p/w" + id + "/+/#");
    // Interior nodes x, x/y, x/y/m hold nothing themselves, so they are pruned whenever every
    // writer's leaf is gone, racing with another writer adding its leaf under them.
    List<String> racy = List.of("x/y/l" + id, "x/y/m/l" + id, "x/+/m/l" + id, "$share/s/x/y/l" + id);
    Map<String, SubscriptionOptions> model = new HashMap<>();
    start.await();
    for (int op = 0; op < OPS; op++) {
      String client = "t" + id + "c" + r.nextInt(2);
      String filter =
          r.nextInt(4) == 0
              ? filters.get(r.nextInt(filters.size()))
              : racy.get(r.nextInt(racy.size()));
      String key = client + " " + filter;
      if (r.nextBoolean()) {
        SubscriptionOptions o = new SubscriptionOptions(r.nextInt(3), false, false, 0, op + 1);
        assertEquals(model.put(key, o), tree.subscribe(client, filter, o), key);
        assertTrue(visible(tree, client, filter, o), "lost right after subscribe: " + key);
      } else {
        assertEquals(model.remove(key) != null, tree.unsubscribe(client, filter), key);
      }
    }
    all.putAll(model);
    return null;
  }

  private static boolean visible(
      SubscriptionTree tree, String client, String filter, SubscriptionOptions o) {
    Matches m = tree.match(sampleTopic(filter));
    SharedFilter share = Topics.parseShared(filter);
    if (share == null) {
      return m.direct().contains(new Matches.Entry(client, filter, o));
    }
    for (SharedGroup g : m.shared()) {
      if (g.group().equals(share.group()) && g.filter().equals(share.filter())) {
        return g.members().contains(new SharedGroup.Member(client, o));
      }
    }
    return false;
  }

  /** One trie node per distinct level prefix of the stored keys. */
  static int expectedNodes(Set<String> keys) {
    Set<String> prefixes = new HashSet<>();
    for (String key : keys) {
      String filter = key.substring(key.indexOf(' ') + 1);
      SharedFilter share = Topics.parseShared(filter);
      String f = share == null ? filter : share.filter();
      for (int i = f.indexOf('/'); i >= 0; i = f.indexOf('/', i + 1)) {
        prefixes.add(f.substring(0, i));
      }
      prefixes.add(f);
    }
    return prefixes.size();
  }
}

package io.simqtt.core.topic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Times match over 100k mixed subscriptions; run with -Plong. Prints ns/match. */
@Tag("long")
class SubscriptionTreeBenchmark {
  private static final int SITES = 100;
  private static final int DEVICES = 1000;

  @Test
  void matchWith100kSubscriptions() {
    SubscriptionTree tree = new SubscriptionTree();
    SubscriptionOptions o = new SubscriptionOptions(1, false, false, 0, 0);
    Random r = new Random(42);
    int n = 0;
    while (n < 100_000) {
      int s = r.nextInt(SITES);
      int d = r.nextInt(DEVICES);
      String filter =
          switch (n % 10) {
            case 0, 1, 2, 3, 4 -> "site/" + s + "/dev/" + d + "/temp";
            case 5 -> "site/" + s + "/dev/" + d + "/+";
            case 6 -> "site/" + s + "/+/" + d + "/temp";
            case 7 -> "+/" + s + "/dev/" + d + "/#";
            case 8 -> "site/" + s + "/dev/" + d + "/#";
            default -> "$share/g" + (n % 3) + "/site/" + s + "/+/" + d + "/#";
          };
      if (tree.subscribe("c" + n, filter, o) == null) {
        n++;
      }
    }
    // a few broad ones so every topic has several matches
    tree.subscribe("monitor", "site/#", o);
    tree.subscribe("all", "#", o);
    assertEquals(100_002, tree.subscriptionCount());

    String[] topics = new String[4096];
    for (int i = 0; i < topics.length; i++) {
      String leaf = i % 4 == 0 ? "humidity" : "temp";
      topics[i] = "site/" + r.nextInt(SITES) + "/dev/" + r.nextInt(DEVICES) + "/" + leaf;
    }
    long sink = 0;
    for (int round = 0; round < 4; round++) {
      int iterations = 1_000_000;
      long t0 = System.nanoTime();
      for (int i = 0; i < iterations; i++) {
        Matches m = tree.match(topics[i & (topics.length - 1)]);
        sink += m.direct().size() + m.shared().size();
      }
      long ns = System.nanoTime() - t0;
      System.out.printf(
          "SubscriptionTree 100k subs: %.0f ns/match, %.1f matches/topic (round %d)%n",
          (double) ns / iterations, (double) sink / ((round + 1) * (long) iterations), round);
    }
    System.out.printf("trie nodes: %d, filters: %d%n", tree.nodeCount(), tree.filterCount());
  }
}

package io.simqtt.bench.jmh;

import io.simqtt.core.topic.Matches;
import io.simqtt.core.topic.SubscriptionOptions;
import io.simqtt.core.topic.SubscriptionTree;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link SubscriptionTree#match} with 100k subscriptions: half exact filters, the rest with + and
 * # at different levels and a tenth in $share groups, plus "site/#" and "#" so every topic has
 * several matches.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TopicMatchBenchmark {
  private static final int SITES = 100;
  private static final int DEVICES = 1000;

  @Param({"100000"})
  public int subscriptions;

  private SubscriptionTree tree;
  private String[] topics;
  private String[] missTopics;
  private int i;

  @Setup
  public void setup() {
    tree = new SubscriptionTree();
    SubscriptionOptions o = new SubscriptionOptions(1, false, false, 0, 0);
    Random r = new Random(42);
    int n = 0;
    while (n < subscriptions) {
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
    tree.subscribe("monitor", "site/#", o);
    tree.subscribe("all", "#", o);
    topics = new String[4096];
    missTopics = new String[4096];
    for (int k = 0; k < topics.length; k++) {
      String leaf = k % 4 == 0 ? "humidity" : "temp";
      topics[k] = "site/" + r.nextInt(SITES) + "/dev/" + r.nextInt(DEVICES) + "/" + leaf;
      missTopics[k] = "other/" + r.nextInt(SITES) + "/x/" + r.nextInt(DEVICES);
    }
  }

  /** A topic under site/: exact, + and # filters and shared groups match. */
  @Benchmark
  public Matches matchHit() {
    return tree.match(topics[i++ & (topics.length - 1)]);
  }

  /** A topic only "#" and "+/..." candidates can reach: mostly a miss. */
  @Benchmark
  public Matches matchMostlyMiss() {
    return tree.match(missTopics[i++ & (missTopics.length - 1)]);
  }
}

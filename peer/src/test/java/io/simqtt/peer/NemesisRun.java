package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.hiveBuilder;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.IntUnaryOperator;
import java.util.function.Supplier;
import org.opentest4j.AssertionFailedError;

/**
 * One randomized fault run and its checker, against nodes that clients reach on 127.0.0.1: {@link
 * #publishers} (one per node by default) send numbered QoS 1 messages at {@link #perSecond}, {@link #subscribers} persistent subscribers ({@link HoppingSubscriber}) hop to a
 * random node every few seconds, and every 8-15 s a {@link Faults} injects a fault for 3-12 s,
 * then heals it. At the end (faults healed, then a quiet period until deliveries stop) every
 * subscriber must have every message the broker acknowledged, and no reconnect may have been given
 * a fresh session (Session Present 0); the run fails with a report otherwise. A test that makes
 * its own faults uses the halves: {@link #start}, its faults, {@link #finish}, {@link #close}.
 *
 * <ul>
 *   <li>Counted messages: publishers start only after every subscriber has subscribed and has
 *       received a probe published on every node (routes converged), so every counted message
 *       was published after every first SUBACK.
 *   <li>End: faults stop (healed), publishers stop and wait up to 30 s for the answers still due,
 *       subscribers stay where they are and read until all acknowledged messages are in or
 *       nothing arrived for 10 s (at most 120 s).
 * </ul>
 */
final class NemesisRun {
  /** What a run does to the cluster; {@link #heal} undoes every fault, also one half made. */
  interface Faults {
    /** Injects one fault chosen with {@code random}; returns what it did, for the report. */
    String inject(Random random);

    void heal();

    /** One of {@code choices} at a time, each time picked with the run's random. */
    static Faults oneOf(Faults... choices) {
      return new Faults() {
        @Override
        public String inject(Random random) {
          return choices[random.nextInt(choices.length)].inject(random);
        }

        @Override
        public void heal() {
          for (Faults f : choices) {
            f.heal(); // each heals only what it injected
          }
        }
      };
    }
  }

  /** The end: deliveries have stopped once none came for this long... */
  private static final Duration QUIET = Duration.ofSeconds(10);
  /** ...or all are in; and the settling is bounded by this in any case. */
  private static final Duration SETTLE_MAX = Duration.ofSeconds(120);

  private final String name;
  private final String prefix;
  private final long seed;
  private final int nodes;
  private final IntUnaryOperator mqttPort;
  private final BooleanSupplier allAlive;
  /** The node of each publisher. */
  List<Integer> publishers = List.of(0, 1, 2);
  int subscribers = 6;
  /** Where subscribers connect first; -1: a random node. */
  int home = -1;
  int perSecond = 50;
  Duration minStay = Duration.ofSeconds(2);
  Duration maxStay = Duration.ofSeconds(8);
  /** A line of figures the target adds to the summary (e.g. packets its faults dropped). */
  Supplier<String> extraReport;

  /** When anything was last delivered to any subscriber, for the quiet period. */
  private final AtomicLong lastDeliveryNanos = new AtomicLong(System.nanoTime());
  private final Random random;
  private final List<HoppingSubscriber> subs = new ArrayList<>();
  private final List<NumberedPublisher> pubs = new ArrayList<>();
  private Nemesis nemesis;

  /**
   * A run called {@code name} (client ids and topics start with {@code prefix}) with {@code seed}
   * on {@code nodes} nodes, node i at 127.0.0.1 port {@code mqttPort(i)}; {@code allAlive} says
   * whether none of them crashed.
   */
  NemesisRun(String name, String prefix, long seed, int nodes, IntUnaryOperator mqttPort,
      BooleanSupplier allAlive) {
    this.name = name;
    this.prefix = prefix;
    this.seed = seed;
    this.nodes = nodes;
    this.mqttPort = mqttPort;
    this.allAlive = allAlive;
    this.random = new Random(seed);
  }

  /**
   * Runs for {@code run}: subscribers hop if {@code hop}, {@code faults} (null: none, the thread
   * only keeps time) strike every 8-15 s. Throws an AssertionError with the report if anything
   * acknowledged is missing or a reconnect got Session Present 0.
   */
  void run(Duration run, Faults faults, boolean hop) throws Exception {
    System.out.println(name + " seed " + seed + ", " + run.toSeconds() + " s, faults "
        + (faults != null) + ", hops " + hop);
    nemesis = new Nemesis(faults, new Random(random.nextLong()), run);
    try {
      start(run);
      subs.forEach(s -> s.hopping = hop);
      nemesis.start();
      nemesis.join(run.plusSeconds(60).toMillis());
      finish();
    } finally {
      close();
    }
  }

  /**
   * The first half of a run whose faults the caller makes: subscribers connected and subscribed
   * (on {@code home} if not -1), routes converged, publishers started for at most {@code run}.
   */
  void start(Duration run) throws InterruptedException {
    for (int s = 0; s < subscribers; s++) {
      HoppingSubscriber sub = new HoppingSubscriber(prefix + "-s" + s, prefix + "/#", mqttPort,
          nodes, new Random(random.nextLong()), minStay, maxStay, lastDeliveryNanos);
      sub.home = home;
      subs.add(sub);
    }
    subs.forEach(HoppingSubscriber::start);
    await(Duration.ofSeconds(60), () -> subs.stream().allMatch(s -> s.subscribed),
        () -> "every subscriber connected and subscribed once");
    probeUntilRoutesConverged(subs);

    // The counted run: every message from here on was published after every first SUBACK.
    for (int p = 0; p < publishers.size(); p++) {
      String pub = prefix + "-p" + p;
      pubs.add(NumberedPublisher.connect(pub, ClusterFixture.HOST,
          mqttPort.applyAsInt(publishers.get(p)), prefix + "/" + pub));
    }
    int max = (int) (perSecond * run.toSeconds()) + perSecond;
    pubs.forEach(p -> p.start(perSecond, max, run));
  }

  /** Whether every subscriber has had a counted message. */
  boolean everySubscriberReceives() {
    return subs.stream().allMatch(s -> s.receipts.total() > 0);
  }

  /**
   * The second half: subscribers stay, faults are healed, publishers stop and subscribers settle;
   * throws an AssertionError with the report if anything acknowledged is missing or a reconnect
   * got Session Present 0. Returns the summary line.
   */
  String finish() throws InterruptedException {
    subs.forEach(s -> s.hopping = false); // they stay where they are from now on
    if (nemesis != null) {
      nemesis.heal();
    }
    for (NumberedPublisher p : pubs) {
      p.stop(Duration.ofSeconds(30));
    }
    boolean settled = settle(subs, pubs);
    return report(subs, pubs, settled);
  }

  /** Stops the fault thread, subscribers and publishers; after {@link #finish} or a failure. */
  void close() throws InterruptedException {
    if (nemesis != null) {
      nemesis.interrupt();
      try {
        nemesis.heal();
      } catch (RuntimeException e) {
        // on the way out of a failure: that failure is the one to report
        System.err.println(name + ": healing on the way out failed: " + e);
      }
    }
    for (HoppingSubscriber s : subs) {
      s.finish();
    }
    for (NumberedPublisher p : pubs) {
      p.close(Duration.ofSeconds(5));
    }
  }

  /**
   * Publishes a probe from every node until every subscriber has one from each: then every node
   * routes to every subscriber, and what follows is counted.
   */
  private void probeUntilRoutesConverged(List<HoppingSubscriber> subs)
      throws InterruptedException {
    List<Mqtt5AsyncClient> probes = new ArrayList<>();
    try {
      for (int n = 0; n < nodes; n++) {
        Mqtt5AsyncClient c =
            hiveBuilder(ClusterFixture.HOST, mqttPort.applyAsInt(n), name + "-probe-" + n).buildAsync();
        c.connect().orTimeout(10, TimeUnit.SECONDS).join();
        probes.add(c);
      }
      for (int round = 0; !allProbed(subs); round++) {
        if (round == 150) {
          throw new AssertionError("not every subscriber hears a probe from every node in 30 s");
        }
        for (int n = 0; n < nodes; n++) {
          probes.get(n).publishWith().topic(prefix + "/probe").qos(MqttQos.AT_MOST_ONCE)
              .payload(bytes("probe-" + n)).send();
        }
        Thread.sleep(200); // pacing the probe publishers
      }
    } finally {
      for (Mqtt5AsyncClient c : probes) {
        c.disconnect();
      }
    }
  }

  private boolean allProbed(List<HoppingSubscriber> subs) {
    for (HoppingSubscriber s : subs) {
      for (int n = 0; n < nodes; n++) {
        if (!s.probes.has("probe-" + n)) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Waits until every subscriber has every acknowledged message, or until nothing has been
   * delivered for {@link #QUIET}; false when even {@link #SETTLE_MAX} was not enough.
   */
  private boolean settle(List<HoppingSubscriber> subs, List<NumberedPublisher> pubs) {
    try {
      await(SETTLE_MAX, () -> System.nanoTime() - lastDeliveryNanos.get() > QUIET.toNanos()
              || subs.stream().allMatch(s -> missing(s, acked(pubs)).isEmpty()),
          () -> "deliveries complete or quiet for " + QUIET);
      return true;
    } catch (AssertionFailedError e) {
      return false;
    }
  }

  /** What each publisher has had acknowledged so far, read afresh at every check. */
  private static Map<String, Set<Integer>> acked(List<NumberedPublisher> pubs) {
    Map<String, Set<Integer>> acked = new TreeMap<>();
    for (NumberedPublisher p : pubs) {
      acked.put(p.name(), p.acked());
    }
    return acked;
  }

  private static Map<String, List<Integer>> missing(HoppingSubscriber s, Map<String, Set<Integer>> acked) {
    Map<String, List<Integer>> out = new TreeMap<>();
    acked.forEach((pub, numbers) -> {
      List<Integer> m = s.receipts.missing(pub, numbers);
      if (!m.isEmpty()) {
        out.put(pub, m);
      }
    });
    return out;
  }

  private String report(List<HoppingSubscriber> subs,
      List<NumberedPublisher> pubs, boolean settled) {
    Map<String, Set<Integer>> acked = acked(pubs);
    int published = 0;
    int ackedCount = acked.values().stream().mapToInt(Set::size).sum();
    Map<String, Integer> pubOutcomes = new TreeMap<>();
    for (NumberedPublisher p : pubs) {
      published += p.sent();
      p.outcomes().forEach((k, v) -> pubOutcomes.merge(k, v, Integer::sum));
    }
    int delivered = 0;
    int duplicates = 0;
    int missingTotal = 0;
    int spZero = 0;
    List<String> lines = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (HoppingSubscriber s : subs) {
      Map<String, List<Integer>> missing = missing(s, acked);
      int m = missing.values().stream().mapToInt(List::size).sum();
      delivered += s.receipts.total();
      duplicates += s.receipts.duplicates();
      missingTotal += m;
      spZero += s.sessionPresentZero.get();
      lines.add("  " + s.summary() + ", missing " + m);
      missing.forEach((pub, numbers) ->
          problems.add(s.id + " misses from " + pub + ": " + Receipts.brief(numbers)));
      if (s.sessionPresentZero.get() > 0) {
        problems.add(s.id + ": " + s.sessionPresentZero.get()
            + " reconnects got Session Present 0");
      }
      problems.addAll(s.problems);
    }
    if (!settled) {
      problems.add("deliveries still arriving after " + SETTLE_MAX);
    }
    if (nemesis != null && nemesis.failure != null) {
      problems.add("faults stopped early: " + nemesis.failure);
    }
    if (!allAlive.getAsBoolean()) {
      problems.add("a node process died");
    }
    String summary = name + " seed " + seed + ": published " + published + ", acked "
        + ackedCount + ", delivered " + delivered + ", missing " + missingTotal
        + ", duplicates " + duplicates + ", SP=0 " + spZero + "; faults " + (nemesis == null ? 0 : nemesis.events.size())
        + "; PUBACKs " + pubOutcomes + (extraReport == null ? "" : "; " + extraReport.get());
    System.out.println(summary);
    lines.forEach(System.out::println);
    if (nemesis != null) {
      nemesis.events.forEach(e -> System.out.println("  fault: " + e));
    }
    assertTrue(problems.isEmpty(), summary + "\n" + String.join("\n", lines) + "\n"
        + String.join("\n", problems));
    return summary;
  }

  /**
   * Injects a fault every 8-15 s and heals it after 3-12 s, until the run is over; heals on the
   * way out. Without faults the thread only keeps time.
   */
  private static final class Nemesis extends Thread {
    private final Faults faults;
    private final Random random;
    private final Duration run;
    private final CountDownLatch never = new CountDownLatch(1);
    private long t0;
    private long endNanos;
    final List<String> events = Collections.synchronizedList(new ArrayList<>());
    volatile RuntimeException failure;

    Nemesis(Faults faults, Random random, Duration run) {
      super("nemesis");
      setDaemon(true);
      this.faults = faults;
      this.random = random;
      this.run = run;
    }

    @Override
    public void run() {
      t0 = System.nanoTime();
      endNanos = t0 + run.toNanos();
      try {
        while (pauseUntilEnd(8_000 + random.nextInt(7_001))) {
          if (faults == null) {
            continue;
          }
          long spanMillis = 3_000 + random.nextInt(9_001);
          long at = (System.nanoTime() - t0) / 1_000_000;
          String fault = faults.inject(random);
          boolean inTime = pauseUntilEnd(spanMillis);
          faults.heal();
          events.add(String.format("t=%.1fs %s for %d ms%s", at / 1000.0, fault,
              (System.nanoTime() - t0) / 1_000_000 - at,
              inTime ? "" : " (cut short: the run ended)"));
        }
      } catch (InterruptedException e) {
        // stopped early
      } catch (RuntimeException | AssertionError e) {
        // A node that did not come back (AssertionError from its readiness wait) ends the faults:
        // the report says so rather than only showing what went missing after it.
        failure = e instanceof RuntimeException r ? r : new IllegalStateException(e);
        events.add("the fault thread failed: " + e);
      } finally {
        heal();
      }
    }

    void heal() {
      if (faults != null) {
        faults.heal();
      }
    }

    /** Waits {@code millis} (a fault schedule, not synchronisation); false once the run is over. */
    private boolean pauseUntilEnd(long millis) throws InterruptedException {
      long left = endNanos - System.nanoTime();
      long wait = Math.min(TimeUnit.MILLISECONDS.toNanos(millis), Math.max(0, left));
      never.await(wait, TimeUnit.NANOSECONDS);
      return System.nanoTime() < endNanos;
    }
  }
}

package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.hiveBuilder;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttPacket.Disconnect;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.Clients;
import io.simqtt.core.it.RawClient;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

/**
 * A randomized fault run against three real node processes: three publishers (one per node) send
 * numbered QoS 1 messages, six persistent subscribers hop to a random node every 2-8 s, and every
 * 8-15 s one node is frozen with SIGSTOP for 3-12 s, then continued. At the end (faults healed,
 * then a quiet period until deliveries stop) every subscriber must have every message the broker
 * acknowledged, and no reconnect may have been given a fresh session (Session Present 0).
 *
 * <p>A 40 s run is part of every build; the long one needs the profile: {@code mvn -Pfaults -pl
 * peer -am test -Dtest=NemesisTest#randomFreezesWhileSubscribersHop [-Dnemesis.minutes=30]
 * [-Dnemesis.seed=N]}. The seed (printed first) fixes the fault schedule and the subscribers'
 * choices; timing still varies from run to run. Node logs go to target/nemesis-SEED/.
 * {@code -Dnemesis.freeze=false} and {@code -Dnemesis.hop=false} turn either fault off: with
 * both off the run is a control that checks the checker (it must find nothing missing).
 */
class NemesisTest {
  private static final int NODES = 3;
  private static final int PUBLISHERS = 3;
  private static final int SUBSCRIBERS = 6;
  /** Per publisher. */
  private static final int PER_SECOND = 50;
  private static final String FILTER = "nem/#";
  private static final long SESSION_EXPIRY = 3600;
  /** A frozen node never answers: give up on a CONNECT after this and try another node. */
  private static final Duration CONNACK_WAIT = Duration.ofSeconds(10);
  /** The end: deliveries have stopped once none came for this long... */
  private static final Duration QUIET = Duration.ofSeconds(10);
  /** ...or all are in; and the settling is bounded by this in any case. */
  private static final Duration SETTLE_MAX = Duration.ofSeconds(120);
  /**
   * Queues far above what a session can gather while its node is frozen: the run measures the
   * hand-over, not the configured queue bound (the default 1,000 would drop in a 12 s freeze).
   */
  private static final String NODE_HOCON = "mqtt.sessions.max-queued-messages = 1000000\n";

  @TempDir Path configDir;

  /** When anything was last delivered to any subscriber, for the quiet period. */
  private final AtomicLong lastDeliveryNanos = new AtomicLong(System.nanoTime());

  /** The long run, {@code -Pfaults}: 2 minutes unless {@code -Dnemesis.minutes} says more. */
  @Test
  @Tag("faults")
  void randomFreezesWhileSubscribersHop() throws Exception {
    double minutes = Double.parseDouble(System.getProperty("nemesis.minutes", "2"));
    run(Duration.ofMillis((long) (minutes * 60_000)));
  }

  /** A short run in every build: a freeze or two and a dozen hops per subscriber. */
  @Test
  void aShortRunInEveryBuild() throws Exception {
    run(Duration.ofSeconds(40));
  }

  private void run(Duration run) throws Exception {
    long seed = Long.getLong("nemesis.seed", new SecureRandom().nextLong());
    boolean freeze = Boolean.parseBoolean(System.getProperty("nemesis.freeze", "true"));
    boolean hop = Boolean.parseBoolean(System.getProperty("nemesis.hop", "true"));
    System.out.println("NemesisTest seed " + seed + " (rerun: -Dnemesis.seed=" + seed + "), "
        + run.toSeconds() + " s, freezes " + freeze + ", hops " + hop);
    Random random = new Random(seed);

    ProcessCluster nodes = ProcessCluster.start(NODES, configDir, NODE_HOCON, List.of("-Xmx512m"));
    List<Subscriber> subs = new ArrayList<>();
    List<NumberedPublisher> pubs = new ArrayList<>();
    Nemesis nemesis = new Nemesis(nodes, new Random(random.nextLong()), run, freeze);
    try {
      for (int s = 0; s < SUBSCRIBERS; s++) {
        subs.add(new Subscriber("nem-s" + s, nodes, new Random(random.nextLong())));
      }
      subs.forEach(Subscriber::start);
      await(Duration.ofSeconds(60), () -> subs.stream().allMatch(s -> s.subscribed),
          () -> "every subscriber connected and subscribed once");
      probeUntilRoutesConverged(nodes, subs);

      // The counted run: every message from here on was published after every first SUBACK.
      for (int p = 0; p < PUBLISHERS; p++) {
        String name = "nem-p" + p;
        pubs.add(NumberedPublisher.connect(name, ClusterFixture.HOST, nodes.mqttPort(p % NODES),
            "nem/" + name));
      }
      int max = (int) (PER_SECOND * run.toSeconds()) + PER_SECOND;
      pubs.forEach(p -> p.start(PER_SECOND, max, run));
      subs.forEach(s -> s.hopping = hop);
      nemesis.start();
      nemesis.join(run.plusSeconds(60).toMillis());
      subs.forEach(s -> s.hopping = false); // they stay where they are from now on
      nodes.thawAll();
      for (NumberedPublisher p : pubs) {
        p.stop(Duration.ofSeconds(30));
      }
      boolean settled = settle(subs, pubs);
      report(seed, nodes, nemesis, subs, pubs, settled);
    } finally {
      nemesis.interrupt();
      nodes.thawAll();
      for (Subscriber s : subs) {
        s.finish();
      }
      for (NumberedPublisher p : pubs) {
        p.close(Duration.ofSeconds(5));
      }
      nodes.saveLogs(Path.of("target", "nemesis-" + seed));
      nodes.close();
    }
  }

  /**
   * Publishes a probe from every node until every subscriber has one from each: then every node
   * routes to every subscriber, and what follows is counted.
   */
  private static void probeUntilRoutesConverged(ProcessCluster nodes, List<Subscriber> subs)
      throws InterruptedException {
    List<Mqtt5AsyncClient> probes = new ArrayList<>();
    try {
      for (int n = 0; n < NODES; n++) {
        Mqtt5AsyncClient c =
            hiveBuilder(ClusterFixture.HOST, nodes.mqttPort(n), "nem-probe-" + n).buildAsync();
        c.connect().orTimeout(10, TimeUnit.SECONDS).join();
        probes.add(c);
      }
      for (int round = 0; !allProbed(subs); round++) {
        if (round == 150) {
          throw new AssertionError("not every subscriber hears a probe from every node in 30 s");
        }
        for (int n = 0; n < NODES; n++) {
          probes.get(n).publishWith().topic("nem/probe").qos(MqttQos.AT_MOST_ONCE)
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

  private static boolean allProbed(List<Subscriber> subs) {
    for (Subscriber s : subs) {
      for (int n = 0; n < NODES; n++) {
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
  private boolean settle(List<Subscriber> subs, List<NumberedPublisher> pubs) {
    Map<String, Set<Integer>> acked = new TreeMap<>();
    for (NumberedPublisher p : pubs) {
      acked.put(p.name(), p.acked());
    }
    try {
      await(SETTLE_MAX, () -> System.nanoTime() - lastDeliveryNanos.get() > QUIET.toNanos()
              || subs.stream().allMatch(s -> missing(s, acked).isEmpty()),
          () -> "deliveries complete or quiet for " + QUIET);
      return true;
    } catch (AssertionFailedError e) {
      return false;
    }
  }

  private static Map<String, List<Integer>> missing(Subscriber s, Map<String, Set<Integer>> acked) {
    Map<String, List<Integer>> out = new TreeMap<>();
    acked.forEach((pub, numbers) -> {
      List<Integer> m = s.receipts.missing(pub, numbers);
      if (!m.isEmpty()) {
        out.put(pub, m);
      }
    });
    return out;
  }

  private void report(long seed, ProcessCluster nodes, Nemesis nemesis, List<Subscriber> subs,
      List<NumberedPublisher> pubs, boolean settled) {
    Map<String, Set<Integer>> acked = new TreeMap<>();
    int published = 0;
    int ackedCount = 0;
    Map<String, Integer> pubOutcomes = new TreeMap<>();
    for (NumberedPublisher p : pubs) {
      acked.put(p.name(), p.acked());
      published += p.sent();
      ackedCount += p.acked().size();
      p.outcomes().forEach((k, v) -> pubOutcomes.merge(k, v, Integer::sum));
    }
    int delivered = 0;
    int duplicates = 0;
    int missingTotal = 0;
    int spZero = 0;
    List<String> lines = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (Subscriber s : subs) {
      Map<String, List<Integer>> missing = missing(s, acked);
      int m = missing.values().stream().mapToInt(List::size).sum();
      delivered += s.receipts.total();
      duplicates += s.receipts.duplicates();
      missingTotal += m;
      spZero += s.sessionPresentZero.get();
      lines.add("  " + s.id + ": delivered " + s.receipts.total() + ", duplicates "
          + s.receipts.duplicates() + ", missing " + m + ", connects " + s.connects.get()
          + ", SP=0 " + s.sessionPresentZero.get() + ", slowest CONNACK "
          + s.slowestConnAckMillis.get() + " ms, outcomes " + new TreeMap<>(s.outcomes)
          + ", dropped by the broker " + s.dropped.get());
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
    if (!nodes.allAlive()) {
      problems.add("a node process died");
    }
    String summary = "NemesisTest seed " + seed + ": published " + published + ", acked "
        + ackedCount + ", delivered " + delivered + ", missing " + missingTotal
        + ", duplicates " + duplicates + ", SP=0 " + spZero + "; freezes " + nemesis.events.size()
        + "; PUBACKs " + pubOutcomes;
    System.out.println(summary);
    lines.forEach(System.out::println);
    nemesis.events.forEach(e -> System.out.println("  fault: " + e));
    assertTrue(problems.isEmpty(), summary + "\n" + String.join("\n", lines) + "\n"
        + String.join("\n", problems));
  }

  /**
   * Freezes a random node every 8-15 s for 3-12 s, until the run is over; thaws on the way out.
   * The thread lasts the run either way: with freezes off it only keeps time.
   */
  private static final class Nemesis extends Thread {
    private final ProcessCluster nodes;
    private final Random random;
    private final Duration run;
    private final boolean freeze;
    private final CountDownLatch never = new CountDownLatch(1);
    private long t0;
    private long endNanos;
    final List<String> events = Collections.synchronizedList(new ArrayList<>());

    Nemesis(ProcessCluster nodes, Random random, Duration run, boolean freeze) {
      super("nemesis");
      setDaemon(true);
      this.nodes = nodes;
      this.random = random;
      this.run = run;
      this.freeze = freeze;
    }

    @Override
    public void run() {
      t0 = System.nanoTime();
      endNanos = t0 + run.toNanos();
      try {
        while (pauseUntilEnd(8_000 + random.nextInt(7_001))) {
          if (!freeze) {
            continue;
          }
          int n = random.nextInt(NODES);
          long frozenMillis = 3_000 + random.nextInt(9_001);
          long at = (System.nanoTime() - t0) / 1_000_000;
          nodes.freeze(n);
          boolean inTime = pauseUntilEnd(frozenMillis);
          nodes.thaw(n);
          events.add(String.format("t=%.1fs freeze %s for %d ms%s", at / 1000.0,
              ClusterFixture.nodeId(n), (System.nanoTime() - t0) / 1_000_000 - at,
              inTime ? "" : " (cut short: the run ended)"));
        }
      } catch (InterruptedException e) {
        // stopped early
      } finally {
        nodes.thawAll();
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

  /**
   * A persistent QoS 1 subscriber on its own thread: clean start and SUBSCRIBE once, then clean
   * start 0 on every connect; a node picked at random. It acknowledges every message at once.
   * While {@link #hopping} it moves every 2-8 s, leaving one of three ways: DISCONNECT, a reset
   * (no DISCONNECT, like a lost network), or connecting elsewhere first (a takeover). A CONNECT
   * a frozen node does not answer is given up after {@link #CONNACK_WAIT} for another node.
   * Given Session Present 0 after its first connect it counts it and subscribes again, as a
   * real client must.
   */
  private final class Subscriber extends Thread {
    final String id;
    private final ProcessCluster nodes;
    private final Random random;
    final Receipts receipts = new Receipts();
    final Receipts probes = new Receipts();
    final AtomicInteger connects = new AtomicInteger();
    final AtomicInteger sessionPresentZero = new AtomicInteger();
    final AtomicInteger dropped = new AtomicInteger();
    final AtomicLong slowestConnAckMillis = new AtomicLong();
    final Map<String, Integer> outcomes = new ConcurrentHashMap<>();
    final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    volatile boolean subscribed;
    volatile boolean hopping;
    private volatile boolean stopped;
    private RawClient current;
    private int currentNode = -1;

    Subscriber(String id, ProcessCluster nodes, Random random) {
      super("subscriber-" + id);
      setDaemon(true);
      this.id = id;
      this.nodes = nodes;
      this.random = random;
    }

    void finish() throws InterruptedException {
      stopped = true;
      join(15_000);
    }

    @Override
    public void run() {
      try {
        while (!stopped) {
          if (current == null) {
            connectSomewhere(-1);
            continue;
          }
          boolean hop = hopping;
          long stay = hop ? 2_000 + random.nextInt(6_001) : 200;
          if (!readAndAck(current, stay)) {
            dropped.incrementAndGet();
            current.close();
            current = null;
          } else if (hop && hopping && !stopped) {
            hop();
          }
        }
      } catch (RuntimeException | AssertionError e) {
        problems.add(id + " failed: " + e);
      } finally {
        if (current != null) {
          current.close();
        }
      }
    }

    private void hop() {
      RawClient old = current;
      current = null;
      switch (random.nextInt(3)) {
        case 0 -> {
          try {
            old.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
          } catch (RuntimeException gone) {
            // the node closed it meanwhile
          }
          recordUntilClosed(old);
          connectSomewhere(currentNode);
        }
        case 1 -> {
          old.abort();
          connectSomewhere(currentNode);
        }
        default -> {
          connectSomewhere(currentNode);
          recordUntilClosed(old); // told 0x8E by its node, unless that node is frozen
        }
      }
    }

    /** Connects to a random node other than {@code avoid} (-1: any), until one accepts. */
    private void connectSomewhere(int avoid) {
      while (!stopped) {
        int node = random.nextInt(NODES);
        if (node == avoid) {
          node = (node + 1 + random.nextInt(NODES - 1)) % NODES;
        }
        RawClient c;
        try {
          c = RawClient.open(ClusterFixture.HOST, nodes.mqttPort(node), MqttVersion.MQTT_5);
        } catch (RuntimeException e) {
          outcomes.merge("no TCP connection", 1, Integer::sum);
          continue;
        }
        boolean first = !subscribed;
        long t0 = System.nanoTime();
        MqttPacket p;
        try {
          c.send(RawClient.connectPacket(
              MqttVersion.MQTT_5, id, first, 60, RawClient.sessionExpiry(SESSION_EXPIRY)));
          p = c.read(CONNACK_WAIT);
        } catch (RuntimeException e) {
          p = null;
        }
        if (!(p instanceof ConnAck ack)) {
          outcomes.merge(p == null ? "no CONNACK in " + CONNACK_WAIT.toSeconds() + " s"
              : "not a CONNACK", 1, Integer::sum);
          c.abort();
          continue;
        }
        if (ack.reasonCode() != ReasonCode.SUCCESS) {
          outcomes.merge("refused " + RawClient.hex(ack.reasonCode()), 1, Integer::sum);
          c.close();
          pause(200);
          continue;
        }
        connects.incrementAndGet();
        slowestConnAckMillis.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
        outcomes.merge("0x00 SP=" + (ack.sessionPresent() ? 1 : 0), 1, Integer::sum);
        try {
          if (first || !ack.sessionPresent()) {
            if (!first) {
              sessionPresentZero.incrementAndGet(); // the bug this run looks for
            }
            c.subscribe(FILTER, 1);
            subscribed = true;
          }
        } catch (RuntimeException | AssertionError e) {
          outcomes.merge("SUBSCRIBE failed", 1, Integer::sum);
          c.close();
          continue;
        }
        current = c;
        currentNode = node;
        return;
      }
    }

    /**
     * Reads for {@code millis}, acknowledging and recording every PUBLISH; false when the broker
     * closed the connection or told it to go (DISCONNECT).
     */
    private boolean readAndAck(RawClient c, long millis) {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
      for (long left; (left = deadline - System.nanoTime()) > 0 && !stopped; ) {
        MqttPacket p = c.read(Duration.ofNanos(Math.min(left, 200_000_000L)));
        if (p instanceof Publish pub) {
          record(pub);
          if (pub.qos() > 0) {
            try {
              c.puback(pub.packetId());
            } catch (RuntimeException closed) {
              return false;
            }
          }
        } else if (p instanceof Disconnect d) {
          outcomes.merge("DISCONNECT " + RawClient.hex(d.reasonCode()), 1, Integer::sum);
          return false;
        } else if (p != null) {
          problems.add(id + ": unexpected " + p);
        } else if (c.isClosed()) {
          return false;
        }
      }
      return true;
    }

    /** Records what an abandoned connection got before its node closed it (bounded). */
    private void recordUntilClosed(RawClient c) {
      try {
        for (MqttPacket p : c.expectClosed(RawClient.WAIT)) {
          if (p instanceof Publish pub) {
            record(pub);
          }
        }
      } catch (AssertionError frozenNode) {
        // its node did not close it in time (frozen): the broker re-sends what was unacknowledged
      } finally {
        c.abort();
      }
    }

    private void record(Publish pub) {
      String payload = Clients.text(pub);
      (payload.startsWith("probe-") ? probes : receipts).add(payload);
      lastDeliveryNanos.set(System.nanoTime());
    }

    private void pause(long millis) {
      try {
        Thread.sleep(millis); // pacing a retry after a refusal, not synchronisation
      } catch (InterruptedException e) {
        stopped = true;
      }
    }
  }
}

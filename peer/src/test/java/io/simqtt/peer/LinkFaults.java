package io.simqtt.peer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Faults on the links between nodes that each live in a network namespace ({@link
 * NetworkNamespaces}), made by the kernel the way Jepsen makes them: iptables rules in the nodes'
 * namespaces, so TCP itself sees the loss. A black-holed packet vanishes without a trace (no RST,
 * no ICMP): the sender's kernel retransmits into the void and its send buffer fills, the
 * receiver hears nothing.
 *
 * <ul>
 *   <li>Drops happen on arrival (INPUT of the receiving node), never on the way out: a packet
 *       dropped in the sender's OUTPUT chain fails its {@code send} with EPERM, which TCP notices
 *       at once, unlike a loss on the wire.
 *   <li>{@link #netem} stands in for {@code tc qdisc ... netem delay D J loss L} on a node's link
 *       (the packets it sends to its peers), as this machine's kernel is built without netem
 *       ({@code CONFIG_NET_SCH_NETEM} is not set; nor fq, nor the tc drop action). Loss is an
 *       iptables {@code statistic} match dropping a share of what arrives from the node; delay
 *       and jitter are {@code NFQUEUE} on the node's way out to a small process ({@code
 *       netns/nfqueue_delay.py}) that holds each packet for delay &plusmn; jitter (uniform), so
 *       packets overtake each other as with netem.
 *   <li>Only node-to-node traffic is touched: clients (in their own namespace) keep reaching
 *       every node, as with {@link ClusterFixture#isolate}.
 * </ul>
 *
 * <p>Each change renders the whole rule set of every node namespace and loads the ones that
 * changed with {@code iptables-restore} (atomic per namespace).
 */
final class LinkFaults implements AutoCloseable {
  /** The NFQUEUE number the delay rules use in every namespace (each has its own queues). */
  private static final int QUEUE = 0;
  /** Packets the kernel holds for the delayer at most, as netem's default {@code limit} 1000. */
  private static final int QUEUE_MAX = 10_000;
  private static final Pattern BOUND = Pattern.compile("bound to queue");

  /** What {@code netem} does to the packets a node sends to its peers; NONE: nothing. */
  record Netem(Duration delay, Duration jitter, double loss) {
    static final Netem NONE = new Netem(Duration.ZERO, Duration.ZERO, 0);

    boolean delays() {
      return !delay.isZero() || !jitter.isZero();
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "delay %d ms ± %d ms, loss %.1f %%", delay.toMillis(),
          jitter.toMillis(), loss * 100);
    }
  }

  private final NetworkNamespaces net;
  private final List<String> namespaces;
  private final List<String> addresses;
  /** cut[from][to]: packets from node {@code from} to node {@code to} vanish. */
  private final boolean[][] cut;
  private final Netem[] netem;
  private final String[] loaded;
  private final ChildProcess[] delayers;
  private final Netem[] delayerSetting;
  /** Packets the rules dropped and queued for delay, counted before each reload resets them. */
  private long dropped;
  private long delayed;

  /** Faults between the nodes living in {@code namespaces}, node i at {@code addresses(i)}. */
  LinkFaults(NetworkNamespaces net, List<String> namespaces, List<String> addresses) {
    int n = namespaces.size();
    this.net = net;
    this.namespaces = List.copyOf(namespaces);
    this.addresses = List.copyOf(addresses);
    this.cut = new boolean[n][n];
    this.netem = new Netem[n];
    Arrays.fill(netem, Netem.NONE);
    this.loaded = new String[n];
    this.delayers = new ChildProcess[n];
    this.delayerSetting = new Netem[n];
  }

  /** Every packet between {@code a} and {@code b}, both ways, vanishes. */
  synchronized void blackhole(int a, int b) {
    cut[a][b] = true;
    cut[b][a] = true;
    apply();
  }

  /** Packets from {@code from} to {@code to} vanish; {@code to} still reaches {@code from}. */
  synchronized void blackholeOneWay(int from, int to) {
    cut[from][to] = true;
    apply();
  }

  /** Every packet between {@code a} and any other node, both ways, vanishes. */
  synchronized void isolate(int a) {
    for (int b = 0; b < cut.length; b++) {
      if (b != a) {
        cut[a][b] = true;
        cut[b][a] = true;
      }
    }
    apply();
  }

  /** Ends the black holes between {@code a} and {@code b}, both ways. */
  synchronized void heal(int a, int b) {
    cut[a][b] = false;
    cut[b][a] = false;
    apply();
  }

  /**
   * What {@code tc qdisc add dev <a's link> root netem delay D J loss L} would do to the packets
   * {@code a} sends to its peers; {@link Netem#NONE} ends it.
   */
  synchronized void netem(int a, Netem setting) {
    netem[a] = Objects.requireNonNull(setting);
    apply();
  }

  /** No black hole, no netem anywhere. */
  synchronized void healAll() {
    for (boolean[] row : cut) {
      Arrays.fill(row, false);
    }
    Arrays.fill(netem, Netem.NONE);
    apply();
  }

  /** The faults in force, e.g. "n1->n2 cut; n3: delay 50 ms ± 20 ms, loss 5.0 %". */
  synchronized String describe() {
    List<String> parts = new ArrayList<>();
    for (int from = 0; from < cut.length; from++) {
      for (int to = 0; to < cut.length; to++) {
        if (cut[from][to]) {
          parts.add(ClusterFixture.nodeId(from) + "->" + ClusterFixture.nodeId(to) + " cut");
        }
      }
    }
    for (int a = 0; a < netem.length; a++) {
      if (!netem[a].equals(Netem.NONE)) {
        parts.add(ClusterFixture.nodeId(a) + ": " + netem[a]);
      }
    }
    return parts.isEmpty() ? "none" : String.join("; ", parts);
  }

  /** Packets dropped by black holes and loss, and packets delayed, since the start. */
  synchronized long[] packets() {
    long[] now = {dropped, delayed};
    for (String ns : namespaces) {
      add(now, ns);
    }
    return now;
  }

  /** "dropped D packets, delayed Q, delay queue overflow O" since the start. */
  String packetReport() {
    long[] p = packets();
    return "dropped " + p[0] + " packets, delayed " + p[1] + ", delay queue overflow "
        + delayQueueDrops();
  }

  /**
   * Packets the delay queues had no room for, over every node (the kernel's queue_dropped plus
   * user_dropped); they are lost, as beyond netem's limit.
   */
  synchronized long delayQueueDrops() {
    long drops = 0;
    for (int a = 0; a < namespaces.size(); a++) {
      if (delayers[a] == null) {
        continue;
      }
      for (String line : net.in(namespaces.get(a), "cat", "/proc/net/netfilter/nfnetlink_queue")
          .split("\n")) {
        String[] f = line.trim().split("\\s+");
        if (f.length >= 7) {
          drops += Long.parseLong(f[5]) + Long.parseLong(f[6]);
        }
      }
    }
    return drops;
  }

  /** Stops the delayers (the rules go with the namespaces). */
  @Override
  public synchronized void close() {
    for (ChildProcess d : delayers) {
      if (d != null) {
        d.terminate();
        try {
          d.awaitExit(10);
        } catch (InterruptedException | AssertionError e) {
          d.close();
        }
      }
    }
  }

  private void apply() {
    for (int a = 0; a < namespaces.size(); a++) {
      setDelay(a);
      String rules = rules(a);
      if (!rules.equals(loaded[a])) {
        long[] counted = {dropped, delayed};
        add(counted, namespaces.get(a)); // the reload resets the counters
        dropped = counted[0];
        delayed = counted[1];
        net.inWithInput(namespaces.get(a), rules, "iptables-restore");
        loaded[a] = rules;
      }
    }
  }

  /** Adds namespace {@code ns}'s rule counters to {dropped, delayed}. */
  private void add(long[] counts, String ns) {
    for (String line : net.in(ns, "iptables-save", "-c", "-t", "filter").split("\n")) {
      if (line.startsWith("[")) {
        long packets = Long.parseLong(line.substring(1, line.indexOf(':')));
        counts[line.contains("-j NFQUEUE") ? 1 : 0] += packets;
      }
    }
  }

  /** Node {@code a}'s whole filter table. */
  private String rules(int a) {
    StringBuilder r = new StringBuilder(
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
    for (int from = 0; from < cut.length; from++) {
      if (from == a) {
        continue;
      }
      String source = addresses.get(from);
      if (cut[from][a]) {
        r.append("-A INPUT -s ").append(source).append(" -j DROP\n");
      } else if (netem[from].loss() > 0) {
        r.append(String.format(Locale.ROOT,
            "-A INPUT -s %s -m statistic --mode random --probability %.4f -j DROP\n",
            source, netem[from].loss()));
      }
    }
    if (netem[a].delays()) {
      for (int to = 0; to < cut.length; to++) {
        if (to != a) {
          // --queue-bypass: should the delayer be gone, packets pass instead of being dropped.
          r.append("-A OUTPUT -d ").append(addresses.get(to)).append(" -j NFQUEUE --queue-num ")
              .append(QUEUE).append(" --queue-bypass\n");
        }
      }
    }
    return r.append("COMMIT\n").toString();
  }

  /** Starts node {@code a}'s delayer the first time it is needed and gives it the delay. */
  private void setDelay(int a) {
    Netem want = netem[a];
    if (delayers[a] == null && !want.delays()) {
      return;
    }
    try {
      if (delayers[a] == null) {
        List<String> command = new ArrayList<>(NetworkNamespaces.launcher(namespaces.get(a)));
        command.addAll(List.of("python3", delayerScript().toString(), Integer.toString(QUEUE),
            Integer.toString(QUEUE_MAX)));
        delayers[a] = ChildProcess.startWithInput(command);
        delayers[a].awaitLine(BOUND, 10);
      }
      if (!delayers[a].isAlive()) {
        int exit = delayers[a].awaitExit(5);
        throw new IllegalStateException(ClusterFixture.nodeId(a) + "'s delayer ended (exit "
            + exit + "): " + delayers[a].stdoutLines() + " " + delayers[a].stderr());
      }
      Netem had = delayerSetting[a];
      if (had == null || !had.delay().equals(want.delay()) || !had.jitter().equals(want.jitter())) {
        delayers[a].sendLine(want.delay().toMillis() + " " + want.jitter().toMillis());
        delayerSetting[a] = want;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static Path delayerScript() {
    try {
      return Path.of(Objects.requireNonNull(
          LinkFaults.class.getResource("/netns/nfqueue_delay.py"), "netns/nfqueue_delay.py")
          .toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}

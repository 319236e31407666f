package io.simqtt.peer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * N cluster nodes as real processes: {@link NodeMain} in child JVMs, one config file each in a
 * directory, every address on 127.0.0.1 unless a {@link Placement} says otherwise. Node {@code
 * i} is {@code n<i+1>}. A node can be frozen with SIGSTOP and thawed with SIGCONT, which is what
 * a stalled host, a long GC pause or a stopped container looks like to its peers: open
 * connections, no answers.
 */
final class ProcessCluster implements AutoCloseable {
  private static final Pattern READY =
      Pattern.compile("node (n\\d+) started|cluster link to (n\\d+) up");

  /**
   * Where one node runs: the address its MQTT and peer listeners bind (and its peers dial), their
   * ports, and the command its JVM runs under (empty: none; {@code ip netns exec <ns>} puts it in
   * a network namespace).
   */
  record Placement(String host, int mqttPort, int peerPort, List<String> launcher) {}

  private final int size;
  private final List<Placement> placements;
  private final ChildProcess[] nodes;
  private final boolean[] frozen;
  /** Per node, the output of its incarnations before the running one. */
  private final List<List<String>> earlier = new ArrayList<>();
  /** Each node's config file, for a restart. */
  private final Path[] configs;
  private List<String> jvmOptions = List.of();

  private ProcessCluster(List<Placement> placements) {
    this.size = placements.size();
    this.placements = List.copyOf(placements);
    this.nodes = new ChildProcess[size];
    this.frozen = new boolean[size];
    for (int i = 0; i < size; i++) {
      earlier.add(new ArrayList<>());
    }
    this.configs = new Path[size];
  }

  /**
   * {@link #start(int, Path, String, List)} in durable mode: node {@code i} keeps its store in
   * {@code dir}/n<i+1>-data, so it can be killed ({@link #kill9}) and {@link #restart}ed.
   */
  static ProcessCluster startDurable(int size, Path dir, String extraHocon,
      List<String> jvmOptions) throws IOException, InterruptedException {
    return start(size, dir, "mqtt.storage.data-dir = \"" + dir.resolve("${NODE}-data") + "\"\n"
        + extraHocon, jvmOptions);
  }

  /**
   * Writes a config per node into {@code dir} ({@code extraHocon} appended to each), starts the
   * nodes on 127.0.0.1 and waits until each has started and has its links to all the others up.
   * {@code ${NODE}} in {@code extraHocon} and {@code jvmOptions} is the node's id.
   */
  static ProcessCluster start(int size, Path dir, String extraHocon, List<String> jvmOptions)
      throws IOException, InterruptedException {
    int[] mqttPorts = ClusterFixture.freePorts(size);
    int[] peerPorts = ClusterFixture.freePorts(size);
    List<Placement> placements = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      placements.add(new Placement(ClusterFixture.HOST, mqttPorts[i], peerPorts[i], List.of()));
    }
    return start(placements, dir, extraHocon, jvmOptions);
  }

  /** {@link #start(int, Path, String, List)} with node {@code i} placed as placements(i) says. */
  static ProcessCluster start(
      List<Placement> placements, Path dir, String extraHocon, List<String> jvmOptions)
      throws IOException, InterruptedException {
    ProcessCluster c = new ProcessCluster(placements);
    try {
      for (int i = 0; i < c.size; i++) {
        c.configs[i] = Files.writeString(dir.resolve(ClusterFixture.nodeId(i) + ".conf"),
            c.hocon(i) + extraHocon.replace("${NODE}", ClusterFixture.nodeId(i)));
        c.jvmOptions = List.copyOf(jvmOptions);
        c.launch(i);
      }
      for (int i = 0; i < c.size; i++) {
        c.awaitReady(i, 60);
      }
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      c.close();
      throw e;
    }
    return c;
  }

  int size() {
    return size;
  }

  /** The port node {@code i}'s MQTT listener bound, on its {@link Placement#host}. */
  int mqttPort(int i) {
    return placements.get(i).mqttPort();
  }

  long pid(int i) {
    return nodes[i].pid();
  }

  private void launch(int i) throws IOException {
    if (nodes[i] != null) {
      // A restart: what the killed incarnation wrote stays in the saved log, ahead of the new one.
      earlier.get(i).addAll(nodes[i].stdoutLines());
      earlier.get(i).add("---- restarted ----");
    }
    List<String> command = new ArrayList<>(placements.get(i).launcher());
    List<String> options = jvmOptions.stream()
        .map(o -> o.replace("${NODE}", ClusterFixture.nodeId(i)))
        .toList();
    command.addAll(ChildProcess.javaCommand(
        options, NodeMain.class.getName(), "--config", configs[i].toString()));
    nodes[i] = ChildProcess.start(command, Map.of());
  }

  /** SIGKILL of node {@code i}'s process (by its pid); waits until it is gone. */
  synchronized void kill9(int i) throws InterruptedException {
    signal(i, "-KILL");
    frozen[i] = false;
    if (nodes[i].awaitExit(30) != 137) {
      throw new AssertionError(ClusterFixture.nodeId(i) + " did not end by SIGKILL");
    }
  }

  /**
   * Starts node {@code i} again on its config (ports and, in durable mode, data directory), after
   * {@link #kill9}; waits until it has started and has its links to all the others up.
   */
  void restart(int i) throws IOException, InterruptedException {
    synchronized (this) {
      launch(i);
    }
    awaitReady(i, 60);
  }

  /** SIGSTOP: the node keeps its sockets and stops answering. */
  synchronized void freeze(int i) {
    signal(i, "-STOP");
    frozen[i] = true;
  }

  /** SIGCONT: the node goes on where it stopped. */
  synchronized void thaw(int i) {
    signal(i, "-CONT");
    frozen[i] = false;
  }

  synchronized boolean isFrozen(int i) {
    return frozen[i];
  }

  /** Thaws every frozen node. */
  synchronized void thawAll() {
    for (int i = 0; i < size; i++) {
      if (frozen[i]) {
        thaw(i);
      }
    }
  }

  /** Whether every node process is still running (none crashed). */
  boolean allAlive() {
    for (ChildProcess n : nodes) {
      if (n == null || !n.isAlive()) {
        return false;
      }
    }
    return true;
  }

  /** Writes each node's output so far to {@code dir}/n<i>.log, for a look after a failure. */
  void saveLogs(Path dir) throws IOException {
    Files.createDirectories(dir);
    for (int i = 0; i < size; i++) {
      if (nodes[i] != null) {
        List<String> lines = new ArrayList<>(earlier.get(i));
        lines.addAll(nodes[i].stdoutLines());
        Files.write(dir.resolve(ClusterFixture.nodeId(i) + ".log"), lines);
      }
    }
  }

  @Override
  public void close() {
    thawAll(); // a stopped process does not act on SIGTERM until it is continued
    for (ChildProcess n : nodes) {
      if (n != null) {
        n.terminate();
      }
    }
    for (ChildProcess n : nodes) {
      if (n != null) {
        try {
          n.awaitExit(20);
        } catch (InterruptedException | AssertionError e) {
          n.close(); // SIGKILL
        }
      }
    }
  }

  /** Node {@code i}'s output so far. */
  List<String> log(int i) {
    return nodes[i].stdoutLines();
  }

  /**
   * Waits for the next line of node {@code i}'s output matching {@code pattern} (lines before it
   * are passed over); fails after {@code seconds}.
   */
  Matcher awaitLine(int i, Pattern pattern, long seconds) throws InterruptedException {
    return nodes[i].awaitLine(pattern, seconds);
  }

  private String hocon(int i) {
    Placement me = placements.get(i);
    List<String> peers = new ArrayList<>();
    for (int j = 0; j < size; j++) {
      if (j != i) {
        Placement peer = placements.get(j);
        peers.add("{ id = \"" + ClusterFixture.nodeId(j) + "\", host = \"" + peer.host()
            + "\", port = " + peer.peerPort() + " }");
      }
    }
    return "node.id = \"" + ClusterFixture.nodeId(i) + "\"\n"
        + "mqtt.listeners.tcp { host = \"" + me.host() + "\", port = " + me.mqttPort() + " }\n"
        + "cluster {\n"
        + "  name = \"processes\"\n"
        + "  secret = \"" + ClusterFixture.SECRET + "\"\n"
        + "  listen { host = \"" + me.host() + "\", port = " + me.peerPort() + " }\n"
        + "  peers = [ " + String.join(", ", peers) + " ]\n"
        + "}\n"
        + "admin.enabled = false\n"
        + "metrics.enabled = false\n";
  }

  /** Waits for node i's "started" line and a "link to X up" line for every peer. */
  private void awaitReady(int i, long seconds) throws InterruptedException {
    Set<String> waitingFor = new HashSet<>();
    waitingFor.add("started");
    for (int j = 0; j < size; j++) {
      if (j != i) {
        waitingFor.add(ClusterFixture.nodeId(j));
      }
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!waitingFor.isEmpty()) {
      long left = TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime());
      if (left <= 0) {
        throw new AssertionError(ClusterFixture.nodeId(i) + " not ready, waiting for "
            + waitingFor + "; output " + nodes[i].stdoutLines());
      }
      Matcher m = nodes[i].awaitLine(READY, left);
      waitingFor.remove(m.group(1) != null ? "started" : m.group(2));
    }
  }

  private void signal(int i, String signal) {
    try {
      Process kill = new ProcessBuilder("kill", signal, Long.toString(nodes[i].pid()))
          .redirectErrorStream(true).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill " + signal + " " + nodes[i].pid() + " failed: "
            + new String(kill.getInputStream().readAllBytes()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted signalling " + ClusterFixture.nodeId(i), e);
    }
  }
}

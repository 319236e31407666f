package io.simqtt.peer;

import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.it.RawClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * N cluster nodes as real processes ({@link ProcessCluster}), each in a network namespace of its
 * own joined to the others by veth pairs and a bridge ({@link NetworkNamespaces}), so that their
 * links can be cut, slowed and made lossy by the kernel ({@link #faults}). Node {@code i} is
 * {@code n<i+1>} at {@link NetworkNamespaces#SUBNET}{@code <i+1>}, MQTT on 1883 and peers on 7946
 * (every namespace has its own ports). Clients in this JVM reach node {@code i} on 127.0.0.1,
 * port {@link #mqttPort} ({@link NamespacePortal}).
 *
 * <p>Everything it made (processes, namespaces and with them interfaces and rules) goes in
 * {@link #close}, or in a shutdown hook should the JVM exit first.
 */
final class NetnsCluster implements AutoCloseable {
  private static final int MQTT_PORT = 1883;
  private static final int PEER_PORT = 7946;
  private static final int CLIENTS_HOST = 100;

  private final NetworkNamespaces net;
  private LinkFaults faults;
  private NamespacePortal portal;
  private ProcessCluster nodes;
  private final Thread hook = new Thread(this::close, "netns-cluster-cleanup");
  private boolean closed;

  private NetnsCluster(NetworkNamespaces net) {
    this.net = net;
  }

  /**
   * Starts {@code size} nodes, {@code extraHocon} added to each config (written to {@code dir}),
   * and waits until every node has its links to all the others up.
   */
  static NetnsCluster start(int size, Path dir, String extraHocon)
      throws IOException, InterruptedException {
    NetnsCluster c = new NetnsCluster(NetworkNamespaces.create());
    Runtime.getRuntime().addShutdownHook(c.hook);
    try {
      List<String> namespaces = new ArrayList<>();
      List<String> addresses = new ArrayList<>();
      List<ProcessCluster.Placement> placements = new ArrayList<>();
      List<InetSocketAddress> mqtt = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        String ns = c.net.addMember(ClusterFixture.nodeId(i), i + 1);
        String address = NetworkNamespaces.SUBNET + (i + 1);
        namespaces.add(ns);
        addresses.add(address);
        placements.add(new ProcessCluster.Placement(
            address, MQTT_PORT, PEER_PORT, NetworkNamespaces.launcher(ns)));
        mqtt.add(InetSocketAddress.createUnresolved(address, MQTT_PORT));
      }
      String clients = c.net.addMember("cli", CLIENTS_HOST);
      c.faults = new LinkFaults(c.net, namespaces, addresses);
      c.portal = NamespacePortal.open(NetworkNamespaces.launcher(clients), mqtt);
      c.nodes = ProcessCluster.start(placements, dir, extraHocon, List.of("-Xmx384m"));
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      c.close();
      throw e;
    }
    return c;
  }

  int size() {
    return nodes.size();
  }

  /** The port on 127.0.0.1 ({@link ClusterFixture#HOST}) where clients reach node {@code i}. */
  int mqttPort(int i) {
    return portal.port(i);
  }

  RawClient raw(int i, MqttVersion version) {
    return RawClient.open(ClusterFixture.HOST, mqttPort(i), version);
  }

  /** Black holes, one-way black holes, isolation and netem on the links between nodes. */
  LinkFaults faults() {
    return faults;
  }

  /** The node processes: freeze, thaw, logs. */
  ProcessCluster nodes() {
    return nodes;
  }

  /**
   * Waits until node {@code at} logs that its link to {@code peer} is down; returns how long that
   * took. Lines logged before the call do not count.
   */
  Duration awaitLinkDown(int at, int peer, Duration bound) throws InterruptedException {
    return awaitLog(at, "cluster link to " + ClusterFixture.nodeId(peer) + " down", bound);
  }

  /** Like {@link #awaitLinkDown}, for the link coming up. */
  Duration awaitLinkUp(int at, int peer, Duration bound) throws InterruptedException {
    return awaitLog(at, "cluster link to " + ClusterFixture.nodeId(peer) + " up", bound);
  }

  private Duration awaitLog(int at, String text, Duration bound) throws InterruptedException {
    long t0 = System.nanoTime();
    nodes.awaitLine(at, Pattern.compile(Pattern.quote(text)), Math.max(1, bound.toSeconds()));
    return Duration.ofNanos(System.nanoTime() - t0);
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (portal != null) {
      portal.close();
    }
    if (nodes != null) {
      nodes.close();
    }
    if (faults != null) {
      faults.close();
    }
    net.close();
    if (Thread.currentThread() != hook) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs (or ran) anyway
      }
    }
  }
}

package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.hiveBuilder;

import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import io.simqtt.config.NodeSettings;
import io.simqtt.config.SettingsLoader;
import io.simqtt.core.Broker;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.it.RawClient;
import io.simqtt.core.topic.Matches;
import io.simqtt.core.topic.SharedGroup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * N in-process cluster nodes on 127.0.0.1, each a real {@link Broker} with a real {@link
 * PeerCluster}: gRPC between them, MQTT towards the tests' clients. Node {@code i} is named
 * {@code n<i+1>}. Every node lists every other in its static peer list with the same secret.
 *
 * <p>Peer ports are picked up front (a ServerSocket on port 0, closed again) because each node's
 * config must name the others'; MQTT binds port 0 on the first start and the port it got on
 * every restart, so clients can reconnect to "the same node".
 */
final class ClusterFixture implements AutoCloseable {

  static final String SECRET = "cluster-fixture-secret-0123456789";
  static final String HOST = "127.0.0.1";
  /** Default wait for links, routes and messages. */
  static final Duration WAIT = Duration.ofSeconds(10);

  private final int size;
  private final String extraHocon;
  private final int[] peerPorts;
  private final int[] mqttPorts;
  private final Broker[] brokers;
  private final PeerCluster[] clusters;
  /** With {@link #startPartitionable}: node i dials node j through proxies[i][j]; else null. */
  private final LinkProxy[][] proxies;

  private ClusterFixture(int size, String extraHocon, boolean partitionable) {
    this.size = size;
    this.extraHocon = extraHocon;
    this.peerPorts = freePorts(size);
    this.mqttPorts = new int[size];
    this.brokers = new Broker[size];
    this.clusters = new PeerCluster[size];
    this.proxies = partitionable ? new LinkProxy[size][size] : null;
    if (partitionable) {
      for (int i = 0; i < size; i++) {
        for (int j = 0; j < size; j++) {
          if (i != j) {
            proxies[i][j] = proxyTo(peerPorts[j]);
          }
        }
      }
    }
  }

  /** A proxy to {@code port} that did not get one of the peer ports the nodes are to bind. */
  private LinkProxy proxyTo(int port) {
    while (true) {
      LinkProxy p = new LinkProxy(HOST, port);
      if (java.util.Arrays.stream(peerPorts).noneMatch(q -> q == p.port())) {
        return p;
      }
      p.close();
    }
  }

  /** Starts {@code size} nodes and waits until every link is up. */
  static ClusterFixture start(int size) {
    return start(size, "");
  }

  /** Starts {@code size} nodes with {@code extraHocon} added to each config, links up. */
  static ClusterFixture start(int size, String extraHocon) {
    return start(new ClusterFixture(size, extraHocon, false));
  }

  /**
   * Like {@link #start(int, String)}, but every node dials every other through a {@link
   * LinkProxy}, so a test can {@link #isolate} a node that keeps running (and keeps its state).
   */
  static ClusterFixture startPartitionable(int size, String extraHocon) {
    return start(new ClusterFixture(size, extraHocon, true));
  }

  private static ClusterFixture start(ClusterFixture f) {
    int size = f.size;
    try {
      for (int i = 0; i < size; i++) {
        f.startNode(i);
      }
      f.awaitLinksUp(WAIT);
    } catch (RuntimeException | Error e) {
      f.close();
      throw e;
    }
    return f;
  }

  int size() {
    return size;
  }

  static String nodeId(int i) {
    return "n" + (i + 1);
  }

  int mqttPort(int i) {
    return mqttPorts[i];
  }

  int peerPort(int i) {
    return peerPorts[i];
  }

  Broker broker(int i) {
    return running(i);
  }

  PeerCluster cluster(int i) {
    running(i);
    return clusters[i];
  }

  boolean isRunning(int i) {
    return brokers[i] != null;
  }

  /** The config of node {@code i}: the full static peer list, the shared secret. */
  String hocon(int i) {
    StringBuilder peers = new StringBuilder();
    for (int j = 0; j < size; j++) {
      if (j != i) {
        peers.append(peers.length() == 0 ? "" : ", ")
            .append("{ id = \"").append(nodeId(j)).append("\", host = \"").append(HOST)
            .append("\", port = ").append(dialPort(i, j)).append(" }");
      }
    }
    return "node.id = \"" + nodeId(i) + "\"\n"
        + "mqtt.tcp { host = \"" + HOST + "\", port = " + mqttPorts[i] + " }\n"
        + "cluster {\n"
        + "  name = \"fixture\"\n"
        + "  secret = \"" + SECRET + "\"\n"
        + "  listen { host = \"" + HOST + "\", port = " + peerPorts[i] + " }\n"
        + "  peers = [ " + peers + " ]\n"
        + "}\n"
        + extraHocon;
  }

  /** The port node {@code i} dials to reach node {@code j}: its peer port, or the proxy's. */
  private int dialPort(int i, int j) {
    return proxies == null ? peerPorts[j] : proxies[i][j].port();
  }

  /**
   * Cuts node {@code i} off from every other node (it keeps running, with its state): both
   * directions of each of its links end and redials fail until {@link #heal}.
   */
  void isolate(int i) {
    forEachProxyOf(i, LinkProxy::cut);
  }

  /** Lets node {@code i} reach the others again; its links come up at their next redial. */
  void heal(int i) {
    forEachProxyOf(i, LinkProxy::heal);
  }

  private void forEachProxyOf(int i, java.util.function.Consumer<LinkProxy> action) {
    if (proxies == null) {
      throw new IllegalStateException("start the fixture with startPartitionable");
    }
    for (int j = 0; j < size; j++) {
      if (j != i) {
        action.accept(proxies[i][j]);
        action.accept(proxies[j][i]);
      }
    }
  }

  /** Waits until node {@code i} and every other running node see their link to each other down. */
  void awaitIsolated(int i, Duration timeout) {
    await(timeout, () -> {
      for (int j = 0; j < size; j++) {
        if (j == i || !isRunning(j)) {
          continue;
        }
        String fromI = clusters[i].linkStates().get(nodeId(j));
        String toI = clusters[j].linkStates().get(nodeId(i));
        if (!down(fromI) || !down(toI)) {
          return false;
        }
      }
      return true;
    }, () -> nodeId(i) + " cut off; states: " + linkStates());
  }

  /** Our stream to the peer is not up, so nothing we send reaches it. */
  private static boolean down(String state) {
    return "DOWN".equals(state) || "CONNECTING".equals(state);
  }

  /** Waits until every running node reports every link up. */
  void awaitLinksUp(Duration timeout) {
    await(timeout, this::allRunningLinksUp, () -> "all links up; states: " + linkStates());
  }

  /** Waits until every running node has every link to the other running nodes up. */
  void awaitLinksUpAmongRunning(Duration timeout) {
    await(timeout, () -> {
      for (int i = 0; i < size; i++) {
        if (!isRunning(i)) {
          continue;
        }
        Map<String, String> states = clusters[i].linkStates();
        for (int j = 0; j < size; j++) {
          if (j != i && isRunning(j) && !"UP".equals(states.get(nodeId(j)))) {
            return false;
          }
        }
      }
      return true;
    }, () -> "links among running nodes up; states: " + linkStates());
  }

  private boolean allRunningLinksUp() {
    for (int i = 0; i < size; i++) {
      if (isRunning(i) && !clusters[i].allLinksUp()) {
        return false;
      }
    }
    return true;
  }

  /** Every running node's link states, for failure messages. */
  Map<String, Map<String, String>> linkStates() {
    Map<String, Map<String, String>> all = new LinkedHashMap<>();
    for (int i = 0; i < size; i++) {
      all.put(nodeId(i), isRunning(i) ? clusters[i].linkStates() : Map.of("-", "STOPPED"));
    }
    return all;
  }

  /** Stops node {@code i} (its broker and its cluster links); its ports stay reserved for it. */
  void stop(int i) {
    Broker b = brokers[i];
    brokers[i] = null;
    clusters[i] = null;
    if (b != null) {
      b.close();
    }
  }

  /** Starts node {@code i} again on the same ports: a new incarnation with empty state. */
  void restart(int i) {
    stop(i);
    startNode(i);
  }

  /**
   * Whether node {@code at} currently routes {@code topic} to node {@code to}, i.e. has {@code
   * to}'s advertised filter (plain or a member of a shared group) in its subscription tree.
   */
  boolean routes(int at, String topic, int to) {
    String remoteId = "\0" + nodeId(to);
    Matches m = running(at).subscriptions().match(topic);
    for (Matches.Entry e : m.direct()) {
      if (e.clientId().equals(remoteId)) {
        return true;
      }
    }
    for (SharedGroup g : m.shared()) {
      for (SharedGroup.Member member : g.members()) {
        if (member.clientId().equals(remoteId)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Waits until node {@code at} routes {@code topic} to node {@code to}. */
  void awaitRoute(int at, String topic, int to) {
    await(WAIT, () -> routes(at, topic, to),
        () -> nodeId(at) + " routes " + topic + " to " + nodeId(to));
  }

  /** Waits until every other running node routes {@code topic} to node {@code to}. */
  void awaitRouteEverywhere(String topic, int to) {
    for (int i = 0; i < size; i++) {
      if (i != to && isRunning(i)) {
        awaitRoute(i, topic, to);
      }
    }
  }

  /** Waits until node {@code at} no longer routes {@code topic} to node {@code to}. */
  void awaitNoRoute(int at, String topic, int to) {
    await(WAIT, () -> !routes(at, topic, to),
        () -> nodeId(at) + " stops routing " + topic + " to " + nodeId(to));
  }

  /** A HiveMQ MQTT 5 client builder aimed at node {@code i}. */
  Mqtt5ClientBuilder hive(int i, String clientId) {
    return hiveBuilder(HOST, mqttPort(i), clientId);
  }

  /** A raw MQTT client connected (TCP only) to node {@code i}. */
  RawClient raw(int i, MqttVersion version) {
    return RawClient.open(HOST, mqttPort(i), version);
  }

  @Override
  public void close() {
    List<RuntimeException> failures = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      try {
        stop(i);
      } catch (RuntimeException e) {
        failures.add(e);
      }
    }
    if (proxies != null) {
      for (LinkProxy[] row : proxies) {
        for (LinkProxy p : row) {
          if (p != null) {
            p.close();
          }
        }
      }
    }
    if (!failures.isEmpty()) {
      throw failures.get(0);
    }
  }

  private void startNode(int i) {
    NodeSettings settings = SettingsLoader.fromString(hocon(i));
    PeerCluster cluster = new PeerCluster(settings);
    Broker broker = new Broker(settings, cluster);
    try {
      broker.start();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      broker.close();
      throw new IllegalStateException("interrupted starting " + nodeId(i), e);
    } catch (RuntimeException e) {
      broker.close();
      throw e;
    }
    if (mqttPorts[i] == 0) {
      mqttPorts[i] = broker.mqttAddress().getPort();
    }
    clusters[i] = cluster;
    brokers[i] = broker;
  }

  private Broker running(int i) {
    Broker b = brokers[i];
    if (b == null) {
      throw new IllegalStateException(nodeId(i) + " is stopped");
    }
    return b;
  }

  /** Distinct ports that were free a moment ago on 127.0.0.1. */
  static int[] freePorts(int n) {
    List<ServerSocket> open = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        // All open at once, so the OS cannot hand out the same port twice.
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST));
        s.setReuseAddress(true);
        open.add(s);
        ports[i] = s.getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      for (ServerSocket s : open) {
        try {
          s.close();
        } catch (IOException ignored) {
          // best effort
        }
      }
    }
  }
}

package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.hiveBuilder;

import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import io.simqtt.config.NodeSettings;
import io.simqtt.config.SettingsLoader;
import io.simqtt.core.Broker;
import io.simqtt.core.cluster.ForwardJournal;
import io.simqtt.core.cluster.SeenForwards;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.it.RawClient;
import io.simqtt.core.retain.MemoryRetainedStore;
import io.simqtt.core.session.Session;
import io.simqtt.core.session.SessionStore;
import io.simqtt.core.topic.Matches;
import io.simqtt.core.topic.SharedGroup;
import io.simqtt.peer.admin.AdminServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import org.opentest4j.AssertionFailedError;

/**
 * N in-process cluster nodes on 127.0.0.1, each a real {@link Broker} with a real {@link
 * PeerCluster}: gRPC between them, MQTT towards the tests' clients. Node {@code i} is named
 * {@code n<i+1>}. Every node lists every other in its static peer list with the same secret.
 *
 * <p>Peer ports are picked up front (a ServerSocket on port 0, closed again) because each node's
 * config must name the others'; MQTT binds port 0 on the first start and the port it got on
 * every restart, so clients can reconnect to "the same node".
 *
 * <p>{@link #startInProcess} runs the peer links over gRPC's in-process transport ({@link
 * InProcessNetwork}) on manual time ({@link FakeTime}): nothing times out, heartbeats or
 * reconnects until the test {@link #advance}s the clock, and {@link #partition} black-holes links
 * without a proxy. MQTT stays on real sockets.
 *
 * <p>{@link #startProxied} puts a {@link FaultProxy} on every link: node {@code i}'s config names,
 * for each peer {@code j}, the port of proxy {@code (i, j)} instead of {@code j}'s peer port. Both
 * directions of the stream {@code i} dials to {@code j} (its frames and {@code j}'s replies) go
 * through that proxy; {@code j}'s own stream to {@code i} goes through proxy {@code (j, i)}.
 */
final class ClusterFixture implements AutoCloseable {

  static final String SECRET = "cluster-fixture-secret-0123456789";
  static final String HOST = "127.0.0.1";
  /** Default wait for links, routes and messages. */
  static final Duration WAIT = Duration.ofSeconds(10);
  /** In-process: the largest step manual time moves at once (well inside every timeout). */
  static final Duration STEP = Duration.ofMillis(500);
  /** In-process: how long what one step set off gets to show before the next step. */
  private static final Duration STEP_SETTLE = Duration.ofMillis(200);
  /** In-process: manual time for links to come back (the reconnect backoff is at most 6.25 s). */
  static final Duration MAX_RECONNECT = Duration.ofSeconds(15);
  /** Ports for nodes are picked between this and the ephemeral range. */
  private static final int PORT_FLOOR = 10_000;
  private static final Random PORT_PICK = new Random();

  private final int size;
  private final String extraHocon;
  /** Per node, added after {@link #extraHocon} at its next start (see {@link #configure}). */
  private final String[] nodeHocon;
  private final int[] peerPorts;
  private final int[] mqttPorts;
  private final Broker[] brokers;
  private final PeerCluster[] clusters;
  /** proxies[from][to], or null when the nodes dial each other directly. */
  private final FaultProxy[][] proxies;
  /** The in-process links and the manual time, or null for links over TCP on real time. */
  private final InProcessNetwork network;
  private final FakeTime time;
  /** Each node's admin API, or null when started without one. */
  private final AdminServer[] admins;
  /** Each node's forward journal (kept across its restarts), or null: in memory. */
  private IntFunction<ForwardJournal> journals;
  /** What each node keeps in a store, made at each of its starts; null (or null for i): memory. */
  private IntFunction<NodeStore> stores;
  /** The store each running node was started with, closed once it stops; null: none. */
  private final NodeStore[] openStores;

  /**
   * A node's durable store as its parts (its sessions, its forwards to peers, the record of the
   * forwards it took), and the store itself, closed after the node stops (as {@code NodeRunner}
   * does).
   */
  record NodeStore(
      SessionStore sessions, ForwardJournal journal, SeenForwards seen, AutoCloseable store) {}

  private ClusterFixture(int size, String extraHocon, boolean proxied) {
    this(size, extraHocon, proxied, false, false);
  }

  private ClusterFixture(
      int size, String extraHocon, boolean proxied, boolean inProcess, boolean admin) {
    this.size = size;
    this.extraHocon = extraHocon;
    this.peerPorts = freePorts(size);
    this.mqttPorts = new int[size];
    this.brokers = new Broker[size];
    this.clusters = new PeerCluster[size];
    this.proxies = proxied ? new FaultProxy[size][size] : null;
    this.network = inProcess ? new InProcessNetwork() : null;
    this.time = inProcess ? new FakeTime() : null;
    this.admins = admin ? new AdminServer[size] : null;
    this.openStores = new NodeStore[size];
    this.nodeHocon = new String[size];
    Arrays.fill(nodeHocon, "");
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
   * Starts {@code size} nodes, each dialling each peer through a {@link FaultProxy} of its own
   * (see {@link #proxy}), with {@code extraHocon} added to each config; links up.
   */
  static ClusterFixture startProxied(int size, String extraHocon) {
    return start(new ClusterFixture(size, extraHocon, true));
  }

  /**
   * Starts {@code size} nodes linked in-process on manual time, with {@code extraHocon} added to
   * each config; links up (they come up without time passing: a node dialled by a peer redials
   * it at once).
   */
  static ClusterFixture startInProcess(int size, String extraHocon) {
    return start(new ClusterFixture(size, extraHocon, false, true, false));
  }

  /**
   * {@link #startInProcess(int, String)} with node i keeping its forwards to peers in {@code
   * journals.apply(i)}, at every start: a journal kept across {@link #restart} is what a node
   * killed and restarted on its store finds.
   */
  static ClusterFixture startInProcess(
      int size, String extraHocon, IntFunction<ForwardJournal> journals) {
    ClusterFixture f = new ClusterFixture(size, extraHocon, false, true, false);
    f.journals = journals;
    return start(f);
  }

  /**
   * {@link #startInProcess(int, String)} with node i keeping its sessions, its forwards and what
   * it took of its peers' forwards in {@code stores.apply(i)} (durable mode; null: in memory),
   * made afresh at every start: a store opened on what a killed node left is that node
   * restarted.
   */
  static ClusterFixture startInProcessStored(
      int size, String extraHocon, IntFunction<NodeStore> stores) {
    return startInProcessStored(size, extraHocon, i -> "", stores);
  }

  /**
   * {@link #startInProcessStored(int, String, IntFunction)} with {@code nodeHocon.apply(i)}
   * added to node i's config after {@code extraHocon} (see {@link #configure}).
   */
  static ClusterFixture startInProcessStored(int size, String extraHocon,
      IntFunction<String> nodeHocon, IntFunction<NodeStore> stores) {
    ClusterFixture f = new ClusterFixture(size, extraHocon, false, true, false);
    for (int i = 0; i < size; i++) {
      f.configure(i, nodeHocon.apply(i));
    }
    f.stores = stores;
    return start(f);
  }

  /**
   * Node {@code i}'s config gets {@code hocon} (in place of what this gave it before) from its
   * next start: a node restarted with other settings.
   */
  void configure(int i, String hocon) {
    nodeHocon[i] = hocon;
  }

  /**
   * {@link #start(int, String)} with each node's admin API on 127.0.0.1 and a port of its own
   * ({@link #adminPort}), bearer token {@link #ADMIN_TOKEN}, node-to-node admin calls on the peer
   * ports as in production.
   */
  static ClusterFixture startWithAdmin(int size, String extraHocon) {
    return start(new ClusterFixture(size,
        "admin { port = 0, token = \"" + ADMIN_TOKEN + "\" }\n" + extraHocon, false, false,
        true));
  }

  static final String ADMIN_TOKEN = "fixture-admin-token";

  /** The admin API port of node {@code i}; only after startWithAdmin. */
  int adminPort(int i) {
    running(i);
    return admins[i].address().getPort();
  }

  private static ClusterFixture start(ClusterFixture f) {
    try {
      if (f.proxies != null) {
        f.startProxies();
      }
      for (int i = 0; i < f.size; i++) {
        f.startNode(i);
      }
      if (f.network != null) {
        // A node that dialled a peer not listening yet redials after its backoff.
        f.advanceUntil(f::allRunningLinksUp, MAX_RECONNECT, "all links up");
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

  /** The proxy carrying node {@code from}'s link to node {@code to}; only after startProxied. */
  FaultProxy proxy(int from, int to) {
    if (proxies == null) {
      throw new IllegalStateException("not started with startProxied");
    }
    if (from == to) {
      throw new IllegalArgumentException("no link from a node to itself");
    }
    return proxies[from][to];
  }

  /**
   * Black-holes both links between {@code i} and {@code j} in both directions: each side keeps
   * its TCP connections and hears nothing from the other, as in a network partition.
   */
  void partition(int i, int j) {
    if (network != null) {
      network.blackHole(nodeId(i), nodeId(j));
      return;
    }
    proxy(i, j).mode(FaultProxy.Mode.BLACK_HOLE);
    proxy(j, i).mode(FaultProxy.Mode.BLACK_HOLE);
  }

  /** Undoes {@link #partition}: both links between {@code i} and {@code j} pass bytes again. */
  void heal(int i, int j) {
    if (network != null) {
      network.heal(nodeId(i), nodeId(j));
      return;
    }
    proxy(i, j).mode(FaultProxy.Mode.PASS);
    proxy(j, i).mode(FaultProxy.Mode.PASS);
  }

  /**
   * After {@link #heal} or {@link #rejoin}: waits until every link is UP again on connections made
   * since. Healing resets the connections that lost bytes, but a node learns of that a moment
   * later, so "all links UP" alone may still describe the dead connections; a proxy carrying a
   * connection again means its dialer has noticed and dialled anew (or its connection was never
   * broken).
   */
  void awaitHealed(Duration timeout) {
    if (network != null) {
      advanceUntil(this::allRunningLinksUp, MAX_RECONNECT, "links up again");
      return;
    }
    await(timeout, () -> {
      for (int i = 0; i < size; i++) {
        for (int j = 0; j < size; j++) {
          if (i != j && isRunning(i) && isRunning(j) && proxy(i, j).connectionCount() == 0) {
            return false;
          }
        }
      }
      return allRunningLinksUp();
    }, () -> "links up on new connections; states " + linkStates() + ", proxies "
        + proxyStates());
  }

  private List<String> proxyStates() {
    List<String> out = new ArrayList<>();
    for (FaultProxy[] row : proxies) {
      for (FaultProxy p : row) {
        if (p != null) {
          out.add(p.toString());
        }
      }
    }
    return out;
  }

  /** Partitions node {@code i} from every other node, as if it were SIGSTOPped. */
  void isolate(int i) {
    for (int j = 0; j < size; j++) {
      if (j != i) {
        partition(i, j);
      }
    }
  }

  /** Undoes {@link #isolate}. */
  void rejoin(int i) {
    for (int j = 0; j < size; j++) {
      if (j != i) {
        heal(i, j);
      }
    }
  }

  /** The in-process links; only after startInProcess. */
  InProcessNetwork network() {
    if (network == null) {
      throw new IllegalStateException("not started with startInProcess");
    }
    return network;
  }

  /**
   * Moves manual time forward by {@code d} in steps of at most {@link #STEP}, and after each step
   * waits until every link between nodes the network lets talk had its heartbeat answered: real
   * time would not outrun a healthy peer either, so only silenced links ever look silent.
   */
  void advance(Duration d) {
    network();
    Duration left = d;
    while (!left.isZero()) {
      Duration step = left.compareTo(STEP) < 0 ? left : STEP;
      time.advance(step);
      left = left.minus(step);
      awaitHeartbeats();
    }
  }

  /**
   * Advances manual time a step at a time until {@code done} holds (checked for a moment after
   * each step, as what a step set off runs on other threads), at most {@code max} of it.
   */
  void advanceUntil(BooleanSupplier done, Duration max, String what) {
    Duration passed = Duration.ZERO;
    while (true) {
      try {
        await(STEP_SETTLE, done, () -> what);
        return;
      } catch (AssertionFailedError notYet) {
        if (passed.compareTo(max) >= 0) {
          throw new AssertionFailedError(
              what + " within " + max + " of manual time; states " + linkStates());
        }
      }
      advance(STEP);
      passed = passed.plus(STEP);
    }
  }

  private void awaitHeartbeats() {
    await(WAIT, () -> {
      for (int i = 0; i < size; i++) {
        String from = nodeId(i);
        if (isRunning(i) && !clusters[i].heartbeatsAnswered(to -> network.passes(from, to))) {
          return false;
        }
      }
      return true;
    }, () -> "heartbeats answered on every link the network passes; states " + linkStates());
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
            .append("\", port = ").append(linkPort(i, j)).append(" }");
      }
    }
    return "node.id = \"" + nodeId(i) + "\"\n"
        + "mqtt.listeners.tcp { host = \"" + HOST + "\", port = " + mqttPorts[i] + " }\n"
        + "cluster {\n"
        + "  name = \"fixture\"\n"
        + "  secret = \"" + SECRET + "\"\n"
        + "  listen { host = \"" + HOST + "\", port = " + peerPorts[i] + " }\n"
        + "  peers = [ " + peers + " ]\n"
        + "}\n"
        + extraHocon + "\n"
        + nodeHocon[i];
  }

  /** The port node {@code i} dials to reach node {@code j}: its proxy's, or j's own. */
  private int linkPort(int i, int j) {
    if (network != null) {
      return 1; // never dialled: in-process links find peers by id
    }
    return proxies == null ? peerPorts[j] : proxies[i][j].port();
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
    AdminServer admin = admins == null ? null : admins[i];
    if (admins != null) {
      admins[i] = null;
    }
    NodeStore store = openStores[i];
    openStores[i] = null;
    if (b != null) {
      closeNode(admin, b, store);
    }
  }

  private static void closeNode(AdminServer admin, Broker broker, NodeStore store) {
    if (admin != null) {
      admin.close();
    }
    broker.close();
    if (store != null) {
      try {
        store.store().close();
      } catch (Exception e) {
        throw new IllegalStateException("closing a node's store", e);
      }
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

  /**
   * Messages queued (beyond the in-flight window) in {@code clientId}'s session on node {@code
   * node}: -1 when there is no session there, -2 when the session did not answer in 5 s.
   * Read on the session's own executor, where its state lives.
   */
  int queuedAt(int node, String clientId) {
    Session s = running(node).sessions().get(clientId);
    if (s == null || s.isMoved()) {
      return -1;
    }
    CompletableFuture<Integer> n = new CompletableFuture<>();
    s.execute(() -> n.complete(s.queuedCount()));
    return n.completeOnTimeout(-2, 5, TimeUnit.SECONDS).join();
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
      for (FaultProxy[] row : proxies) {
        for (FaultProxy p : row) {
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

  private void startProxies() {
    for (int i = 0; i < size; i++) {
      for (int j = 0; j < size; j++) {
        if (i != j) {
          proxies[i][j] = new FaultProxy(nodeId(i) + "-" + nodeId(j),
              new InetSocketAddress(HOST, peerPorts[j]));
        }
      }
    }
  }

  private void startNode(int i) {
    NodeSettings settings = SettingsLoader.fromString(hocon(i));
    PeerCluster cluster = network == null
        ? new PeerCluster(settings)
        : new PeerCluster(settings, network.transport(nodeId(i)), time.scheduler());
    if (journals != null) {
      cluster.keepForwardsIn(journals.apply(i), SeenForwards.MEMORY);
    }
    NodeStore store = stores == null ? null : stores.apply(i);
    if (store != null) {
      cluster.keepForwardsIn(store.journal(), store.seen());
    }
    Broker broker = store == null
        ? new Broker(settings, cluster)
        : new Broker(settings, cluster, MemoryRetainedStore::new, store.sessions());
    // Before the broker starts: it adds its node-to-node service to the peer port.
    AdminServer admin = admins == null ? null : AdminServer.create(broker, cluster, "test");
    try {
      broker.start();
      if (admin != null) {
        admin.start();
        admins[i] = admin;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closeNode(admin, broker, store);
      throw new IllegalStateException("interrupted starting " + nodeId(i), e);
    } catch (IOException | RuntimeException e) {
      closeNode(admin, broker, store);
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
    if (mqttPorts[i] == 0) {
      mqttPorts[i] = broker.mqttAddress().getPort();
    }
    clusters[i] = cluster;
    brokers[i] = broker;
    openStores[i] = store;
  }

  private Broker running(int i) {
    Broker b = brokers[i];
    if (b == null) {
      throw new IllegalStateException(nodeId(i) + " is stopped");
    }
    return b;
  }

  /**
   * Distinct ports that were free a moment ago on 127.0.0.1, picked below the kernel's ephemeral
   * range: a port from that range, once closed again, can be handed to any outgoing connection
   * (a proxy's, a client's) before the node that is to listen on it binds it.
   */
  static int[] freePorts(int n) {
    int below = ephemeralLow();
    for (int attempt = 0; ; attempt++) {
      List<ServerSocket> open = new ArrayList<>();
      try {
        int[] ports = new int[n];
        for (int i = 0; i < n; i++) {
          // All open at once, so no port is handed out twice.
          int port = PORT_FLOOR + PORT_PICK.nextInt(below - PORT_FLOOR);
          ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName(HOST));
          open.add(s);
          ports[i] = s.getLocalPort();
        }
        return ports;
      } catch (IOException taken) {
        if (attempt == 100) {
          throw new UncheckedIOException("no free ports below " + below, taken);
        }
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

  /** The lowest port the kernel hands to outgoing connections (32768 when it cannot be read). */
  private static int ephemeralLow() {
    try {
      String range = Files.readString(
          Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
      int low = Integer.parseInt(range.split("\\s+")[0]);
      return low > PORT_FLOOR + 1000 ? low : 32_768;
    } catch (IOException | RuntimeException e) {
      return 32_768;
    }
  }

}

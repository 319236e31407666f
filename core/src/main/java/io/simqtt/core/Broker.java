package io.simqtt.core;

import io.simqtt.config.MqttListenerSettings;
import io.simqtt.config.NodeSettings;
import io.simqtt.core.auth.AuthFileException;
import io.simqtt.core.auth.AuthReload;
import io.simqtt.core.auth.AuthReloader;
import io.simqtt.core.auth.Authentication;
import io.simqtt.core.cluster.Cluster;
import io.simqtt.core.cluster.HybridClock;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.overload.ConnectionGate;
import io.simqtt.core.overload.HeapGuard;
import io.simqtt.core.protocol.ProtocolContext;
import io.simqtt.core.retain.MemoryRetainedStore;
import io.simqtt.core.retain.RetainedStore;
import io.simqtt.core.retain.RetainedStoreFactory;
import io.simqtt.core.routing.DeliveryReceipt;
import io.simqtt.core.routing.MessageRouter;
import io.simqtt.core.routing.RemoteRoutes;
import io.simqtt.core.server.MqttListener;
import io.simqtt.core.server.MqttServer;
import io.simqtt.core.session.Delivery;
import io.simqtt.core.session.PermissionRetries;
import io.simqtt.core.session.SessionRecovery;
import io.simqtt.core.session.StartupWills;
import io.simqtt.core.session.SessionRegistry;
import io.simqtt.core.session.SessionStore;
import io.simqtt.core.sys.SysTopicsPublisher;
import io.simqtt.core.topic.SubscriptionTree;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running MQTT broker node. */
public final class Broker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Broker.class);
  private static final long SHUTDOWN_DRAIN_MILLIS = 2000;
  /** How often the retained store expires messages and forgets old tombstones. */
  private static final long RETAINED_SWEEP_MILLIS = 1000;

  private final NodeSettings settings;
  private final BrokerMetrics metrics = new BrokerMetrics();
  private final SubscriptionTree subscriptions = new SubscriptionTree();
  private final RetainedStore retained;
  private final HybridClock clock = new HybridClock();
  private final Cluster cluster;
  private final BrokerNode node;
  private final SessionRegistry sessions;
  /** Wills wait here until the cluster is up (see {@link StartupWills}). */
  private final StartupWills wills =
      new StartupWills((will, receipt) -> router().publish(will, null, receipt));
  private final MessageRouter router;
  private final MqttServer server;
  private final RemoteRoutes remoteRoutes;
  private final Authentication auth;
  private final PermissionRetries permissionRetries;
  private volatile AuthReloader authReloader;
  private final HeapGuard heapGuard;
  private final SessionStore sessionStore;
  private SysTopicsPublisher sysTopics;
  private ScheduledExecutorService retainedSweeper;
  private volatile long startedAtMillis;
  private boolean closed;

  /** A single node. */
  public Broker(NodeSettings settings) {
    this(settings, Cluster.SINGLE_NODE);
  }

  /** A member of {@code cluster}, which the broker starts and stops with itself. */
  public Broker(NodeSettings settings, Cluster cluster) {
    this(settings, cluster, MemoryRetainedStore::new, SessionStore.MEMORY);
  }

  /**
   * A member of {@code cluster} ({@link Cluster#SINGLE_NODE} alone) whose retained messages live
   * in the store {@code retainedStore} makes (a disk store in durable mode, loaded here) and whose
   * persistent sessions are kept in {@code sessionStore} too ({@link SessionStore#MEMORY}: only in
   * the heap) and recovered from it at {@link #start}. The caller opens and closes the stores.
   */
  public Broker(
      NodeSettings settings,
      Cluster cluster,
      RetainedStoreFactory retainedStore,
      SessionStore sessionStore) {
    this.settings = settings;
    this.cluster = cluster;
    this.sessionStore = sessionStore;
    var mqtt = settings.mqtt();
    this.retained = retainedStore.create(mqtt.retained(), System::currentTimeMillis, metrics);
    this.auth = new Authentication(
        mqtt.features().allowAnonymous(), mqtt.auth(), System::nanoTime);
    this.permissionRetries = new PermissionRetries(
        auth::permissionsFor, mqtt.auth().threads(), mqtt.auth().recoveryWait(),
        mqtt.auth().retryWait());
    this.sessions =
        new SessionRegistry(
            mqtt.sessions(),
            subscriptions,
            metrics,
            wills,
            this::redeliverShared,
            cluster,
            settings.cluster().timing().redirectTime().toMillis(),
            settings.cluster().timing().lateRedirectTime().toMillis(),
            permissionRetries,
            sessionStore);
    this.router =
        new MessageRouter(
            settings.nodeId(),
            subscriptions,
            retained,
            sessions,
            cluster,
            clock,
            metrics,
            mqtt.sessions().sharedSubscriptionStrategy());
    this.remoteRoutes = router.remoteRoutes();
    this.node =
        new BrokerNode(
            settings.nodeId(), clock, router, remoteRoutes, sessions, retained);
    this.heapGuard = new HeapGuard(mqtt.heapGuard(), System::nanoTime);
    this.server =
        new MqttServer(
            new ProtocolContext(mqtt, sessions, router, retained, metrics, cluster, auth),
            heapGuard);
  }


  private void redeliverShared(
      Delivery delivery, String leavingClientId, int hops, DeliveryReceipt receipt) {
    router.redeliverShared(delivery, leavingClientId, hops, receipt);
  }

  /**
   * Loads the auth plug-ins, reads the password and ACL files, recovers the sessions the store
   * kept, starts the cluster, binds the listeners; returns once they accept connections.
   *
   * @throws UncheckedIOException when one of those files cannot be read or has a broken line
   * @throws io.simqtt.config.SettingsException when a plug-in cannot be loaded or the chain names
   *     one that does not exist
   */
  public synchronized void start() throws InterruptedException {
    try {
      authReloader = AuthReloader.start(settings.mqtt().auth(),
          settings.mqtt().tls().identityAsUserName(), auth,
          () -> permissionRetries.refreshAll(sessions.all(), auth::isStale), settings.nodeId());
    } catch (AuthFileException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
    startedAtMillis = System.currentTimeMillis();
    retainedSweeper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "simqtt-retained-" + settings.nodeId());
              t.setDaemon(true);
              return t;
            });
    retainedSweeper.scheduleWithFixedDelay(
        this::sweepRetained, RETAINED_SWEEP_MILLIS, RETAINED_SWEEP_MILLIS, TimeUnit.MILLISECONDS);
    if (sessionStore.isDurable()) {
      // Before any peer or client can ask for a session that is not back yet.
      SessionRecovery.run(sessionStore, sessions, server.loops());
    }
    // Returns once every reachable peer sent its routes (or at once on a single node): wills of
    // sessions recovered past their delay or expiry can reach other nodes' subscribers now.
    cluster.start(node);
    int heldWills = wills.open();
    if (heldWills > 0) {
      LOG.info("{} wills due while the node was down published now that the cluster is up",
          heldWills);
    }
    for (MqttListenerSettings listener : settings.mqtt().listeners()) {
      MqttListener bound = server.bind(listener);
      LOG.info("listener {} on {}", listener.name(), bound.url());
    }
    if (settings.mqtt().sys().enabled()) {
      sysTopics = new SysTopicsPublisher(this, version());
      sysTopics.start(settings.mqtt().sys().interval());
    }
  }

  /**
   * Re-reads the password and ACL files: new CONNECTs and the sessions already here follow the
   * new rules once the answer is there; a broken file keeps the rules in force and the answer
   * says file, line and what is wrong. {@code trigger} names the cause in the log.
   */
  /**
   * Reads the TLS files of every TLS listener again (SIGHUP and the admin API's reload, beside
   * {@link #reloadAuth}); returns, per listener whose files do not load, what is wrong (they keep
   * their previous ones). Empty when all serve, or there is no TLS listener.
   */
  public List<String> reloadTls() {
    List<String> problems = new ArrayList<>();
    for (MqttListener l : listeners()) {
      String problem = l.reloadTls();
      if (problem != null) {
        problems.add("listener " + l.name() + ": " + problem);
      }
    }
    return problems;
  }

  public CompletableFuture<AuthReload> reloadAuth(String trigger) {
    AuthReloader r = authReloader;
    return r == null
        ? CompletableFuture.completedFuture(new AuthReload(false, "the node is not started", 0))
        : r.reload(trigger);
  }

  private void sweepRetained() {
    try {
      retained.sweep();
    } catch (RuntimeException e) {
      // A scheduled task that throws is never run again.
      LOG.warn("retained message upkeep failed", e);
    }
  }

  /** From the jar manifest; "dev" when run from classes (IDE, tests). */
  public static String version() {
    String v = Broker.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /** Wall-clock time of {@link #start}, 0 before. */
  public long startedAtMillis() {
    return startedAtMillis;
  }

  /** Subscriptions of this node's sessions (the tree also holds the routes of other nodes). */
  public int localSubscriptionCount() {
    return subscriptions.subscriptionCount() - remoteRoutes.totalRouteCount();
  }

  /**
   * The bound address of the first listener (the plain TCP one in the defaults; the real port
   * when 0 was configured); null before {@link #start} or when no listener is enabled.
   */
  public InetSocketAddress mqttAddress() {
    List<MqttListener> bound = server.listeners();
    return bound.isEmpty() ? null : bound.get(0).address();
  }

  /** The bound listeners, in the order of {@code mqtt.listeners} (predefined ones first). */
  public List<MqttListener> listeners() {
    return server.listeners();
  }

  /** The bound listener named {@code name}. */
  public MqttListener listener(String name) {
    return server.listeners().stream().filter(l -> l.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no listener " + name));
  }

  public NodeSettings settings() {
    return settings;
  }

  public BrokerMetrics metrics() {
    return metrics;
  }

  public SessionRegistry sessions() {
    return sessions;
  }

  public RetainedStore retained() {
    return retained;
  }

  public SubscriptionTree subscriptions() {
    return subscriptions;
  }

  public MessageRouter router() {
    return router;
  }

  /** The stored sessions whose permissions recovery could not resolve, asked for again. */
  public PermissionRetries permissionRetries() {
    return permissionRetries;
  }

  public Authentication authentication() {
    return auth;
  }

  /** On while the heap is nearly full: no new connections, no reading from clients. */
  public HeapGuard heapGuard() {
    return heapGuard;
  }

  /** What each bound MQTT listener admitted and refused. */
  public List<ConnectionGate> listenerGates() {
    return server.gates();
  }

  /**
   * Stops accepting, sends DISCONNECT 0x8B (Server shutting down) to every MQTT 5 client, closes
   * every connection and releases the threads. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (sysTopics != null) {
      sysTopics.close();
    }
    if (retainedSweeper != null) {
      retainedSweeper.shutdownNow();
    }
    server.closeListeners();
    server.closeConnections(
        ReasonCode.SERVER_SHUTTING_DOWN, "server shutting down", SHUTDOWN_DRAIN_MILLIS);
    cluster.stop();
    server.shutdown();
    permissionRetries.close();
    auth.close();
    if (authReloader != null) {
      authReloader.close();
    }
  }
}

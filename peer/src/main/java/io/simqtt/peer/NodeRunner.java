package io.simqtt.peer;

import io.simqtt.config.NodeSettings;
import io.simqtt.config.SettingsException;
import io.simqtt.core.Broker;
import io.simqtt.core.cluster.Cluster;
import io.simqtt.core.server.MqttListener;
import io.simqtt.peer.admin.AdminServer;
import io.simqtt.peer.metrics.MetricsServer;
import io.simqtt.store.DiskForwardJournal;
import io.simqtt.store.DiskSeenForwards;
import io.simqtt.store.DiskRetainedStore;
import io.simqtt.store.DiskSessionStore;
import io.simqtt.store.DurableStore;
import io.simqtt.store.StoreException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs one started node until a stop signal, then closes it exactly once. */
final class NodeRunner {

  private static final Logger LOG = LoggerFactory.getLogger(NodeRunner.class);

  private final NodeSettings settings;
  private final String version;
  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private final AtomicBoolean stopped = new AtomicBoolean();
  /** The durable store, or null in memory; closed last. */
  private DurableStore store;

  NodeRunner(NodeSettings settings, String version) {
    this.settings = settings;
    this.version = version;
  }

  int runUntilStopped() {
    // Before anything opens a port: a store that cannot be used stops the node here.
    Broker broker;
    PeerCluster cluster;
    try {
      if (settings.mqtt().storage().durable()) {
        store = DurableStore.open(settings.mqtt().storage());
      }
      cluster = settings.cluster().isSingleNode() ? null : new PeerCluster(settings);
      if (cluster != null && store != null) {
        cluster.keepForwardsIn(new DiskForwardJournal(store), new DiskSeenForwards(store));
      }
      broker = newBroker(cluster, store);
    } catch (StoreException e) {
      LOG.error("si-mqtt {} node {} failed to start: {}", version, settings.nodeId(),
          e.getMessage());
      if (store != null) {
        store.close();
      }
      return NodeMain.EXIT_START_FAILED;
    }
    // Created before the broker starts: it adds its node-to-node service to the peer port.
    AdminServer admin =
        settings.admin().enabled() ? AdminServer.create(broker, cluster, version, store) : null;
    MetricsServer metrics =
        settings.metrics().enabled()
            ? new MetricsServer(broker, cluster, settings.metrics().readyMinPeers(), store)
            : null;
    StopSignals.install(stopRequested::countDown);
    // The auth reload runs on the broker's reload thread; both log their outcome.
    ReloadSignal.install(() -> {
      broker.reloadTls();
      broker.reloadAuth("SIGHUP");
    });
    // Covers exits the signal handlers do not see (System.exit elsewhere, -Xrs).
    Runtime.getRuntime().addShutdownHook(
        new Thread(() -> stop(broker, admin, metrics), "simqtt-shutdown"));
    try {
      broker.start();
      if (admin != null) {
        admin.start();
        LOG.info("admin API on {} ({}{})",
            tcpUrl(settings.admin().listen().host(), admin.address().getPort()),
            settings.admin().token().isEmpty() ? "no token: loopback only"
                : settings.admin().readOnlyToken().isEmpty() ? "bearer token"
                : "admin and read-only bearer tokens",
            settings.admin().tls() == null ? "" : ", TLS");
      }
      if (metrics != null) {
        metrics.start(settings.metrics().listen(), settings.metrics().tls());
        LOG.info("metrics on {}://{}:{}/metrics, probes on /health/live and /health/ready",
            settings.metrics().tls() == null ? "http" : "https",
            settings.metrics().listen().host(), metrics.port());
      }
    } catch (SettingsException e) {
      // Found only once plug-ins are loaded (a chain name no plug-in has): a config error too.
      System.err.println("si-mqtt: " + e.getMessage());
      stop(broker, admin, metrics);
      return NodeMain.EXIT_USAGE;
    } catch (Exception | LinkageError e) {
      // A broken password file says file, line and problem: that is the whole message.
      String line = "si-mqtt " + version + " node " + settings.nodeId() + " failed to start: "
          + (e instanceof UncheckedIOException ? e.getMessage() : e.toString());
      if (e instanceof IOException || e instanceof UncheckedIOException) {
        LOG.error(line); // "address already in use" and friends: the stack adds nothing
      } else {
        LOG.error(line, e);
      }
      stop(broker, admin, metrics);
      return NodeMain.EXIT_START_FAILED;
    }
    String listeners = "mqtt " + String.join(" ",
        broker.listeners().stream().map(MqttListener::url).toList());
    if (cluster != null) {
      listeners +=
          ", cluster "
              + tcpUrl(settings.cluster().listen().host(), cluster.listenAddress().getPort())
              + (cluster.linkTls() != null ? " over mutual TLS" : "")
              + " with peers "
              + String.join(",", cluster.linkStates().keySet());
    }
    LOG.info("si-mqtt {} node {} started: {}", version, settings.nodeId(), listeners);
    try {
      stopRequested.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stop(broker, admin, metrics);
    return NodeMain.EXIT_OK;
  }

  private void stop(Broker broker, AdminServer admin, MetricsServer metrics) {
    if (stopped.compareAndSet(false, true)) {
      // Not ready first and the probe answering to the end, so a load balancer sends no new
      // clients to listeners about to close.
      if (metrics != null) {
        metrics.stopping();
      }
      if (admin != null) {
        admin.close();
      }
      broker.close();
      if (metrics != null) {
        metrics.close();
      }
      if (store != null) {
        store.close(); // after the broker: what its sessions wrote while closing is written
      }
      LOG.info("si-mqtt node {} stopped", settings.nodeId());
    }
  }

  /**
   * The broker, its retained messages loaded from {@code store} when there is one (before any
   * listener opens), with the recovery logged; its sessions are recovered from the store when it
   * starts.
   */
  private Broker newBroker(PeerCluster cluster, DurableStore store) {
    Cluster members = cluster == null ? Cluster.SINGLE_NODE : cluster;
    if (store == null) {
      return new Broker(settings, members);
    }
    long start = System.nanoTime();
    DiskRetainedStore[] retained = new DiskRetainedStore[1];
    Broker broker = new Broker(settings, members,
        (s, clock, metrics) -> retained[0] = DiskRetainedStore.open(store, s, clock, metrics),
        new DiskSessionStore(store));
    LOG.info("recovered {} retained messages and {} tombstones from {} in {} ms",
        retained[0].loadedMessages(), retained[0].loadedTombstones(), store.dataDir(),
        (System.nanoTime() - start) / 1_000_000);
    return broker;
  }

  /**
   * tcp://host:port as configured (0.0.0.0 stays readable) with the bound port, IPv6 literals
   * bracketed, so the line can be pasted into a client.
   */
  static String tcpUrl(String host, int port) {
    return "tcp://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}

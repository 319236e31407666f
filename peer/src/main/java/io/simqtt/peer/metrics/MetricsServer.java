package io.simqtt.peer.metrics;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import com.sun.net.httpserver.HttpsConfigurator;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.simqtt.config.EndpointTls;
import io.simqtt.config.ListenerSettings;
import io.simqtt.core.Broker;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.overload.ConnectionGate;
import io.simqtt.core.session.SessionRegistry;
import io.simqtt.peer.PeerCluster;
import io.simqtt.peer.PeerLinkStats;
import io.simqtt.store.DurableStore;
import io.simqtt.store.HoldCut;
import java.io.IOException;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * Serves {@code GET /metrics} (Prometheus text) and the health probes ({@link HealthProbes}) for
 * one node. Each node has its own registry, not the library's global one, so several nodes in one
 * JVM (tests) do not mix their figures.
 */
public final class MetricsServer implements AutoCloseable {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final HealthProbes health;
  private HTTPServer http;

  /** {@code cluster} is null for a single node; everything in memory. */
  public MetricsServer(Broker broker, PeerCluster cluster, int readyMinPeers) {
    this(broker, cluster, readyMinPeers, null);
  }

  /** {@code cluster} is null for a single node, {@code store} in memory. */
  public MetricsServer(
      Broker broker, PeerCluster cluster, int readyMinPeers, DurableStore store) {
    health = new HealthProbes(broker, cluster, readyMinPeers, store);
    registerBroker(broker);
    registerListeners(broker);
    if (cluster != null) {
      registerPeers(cluster);
    }
    if (store != null) {
      registerStore(store);
    }
    JvmMetrics.builder().register(registry);
  }

  public void start(ListenerSettings listen) throws IOException {
    start(listen, null);
  }

  /** Serves over HTTPS with {@code tls}'s certificate, or plain HTTP when it is null. */
  public void start(ListenerSettings listen, EndpointTls tls) throws IOException {
    HTTPServer.Builder b = HTTPServer.builder()
        .hostname(listen.host())
        .port(listen.port())
        .registry(registry)
        .registerHealthHandler(false)
        .defaultHandler(health);
    if (tls != null) {
      SslContext ctx = SslContextBuilder
          .forServer(tls.certFile().toFile(), tls.keyFile().toFile())
          .sslProvider(SslProvider.JDK)
          .build();
      b.httpsConfigurator(new HttpsConfigurator(((JdkSslContext) ctx).context()));
    }
    http = b.buildAndStart();
  }

  /** From now on {@code /health/ready} answers 503: the node is about to close its listeners. */
  public void stopping() {
    health.stopping();
  }

  public int port() {
    return http.getPort();
  }

  private void registerBroker(Broker broker) {
    BrokerMetrics m = broker.metrics();
    gauge("simqtt_connections", "Open MQTT connections", c -> c.call(m.currentConnections()));
    counter("simqtt_connections_accepted", "CONNECTs answered with success",
        c -> c.call(m.connectsAccepted()));
    counter("simqtt_connections_refused", "CONNECTs refused, by CONNACK reason code",
        c -> m.connectsRefused().forEach(
            (code, n) -> c.call(n, String.format("0x%02X", code))), "reason");
    counter("simqtt_connections_session_read_timeouts",
        "CONNECTs refused with 0x88 (3.1.1: 3) because their session's read of the disk, which"
            + " the attach waits for, did not end within mqtt.limits.connect-timeout",
        c -> c.call(m.attachesGivenUp()));
    counter("simqtt_connections_auth_check_timeouts",
        "CONNECTs refused with 0x88 (3.1.1: 3) because their credential check (authenticators,"
            + " authorizers) did not end within mqtt.limits.connect-timeout",
        c -> c.call(m.authChecksGivenUp()));
    counter("simqtt_connections_claim_timeouts",
        "CONNECTs refused with 0x88 (3.1.1: 3) because the cluster did not answer their session"
            + " claim (a large session still arriving) within mqtt.limits.connect-timeout",
        c -> c.call(m.claimsGivenUp()));
    counter("simqtt_messages_received", "PUBLISH packets accepted from clients, by QoS",
        c -> forQos(q -> c.call(m.messagesIn(q), Integer.toString(q))), "qos");
    counter("simqtt_messages_sent", "PUBLISH packets delivered to clients, by QoS",
        c -> forQos(q -> c.call(m.messagesOut(q), Integer.toString(q))), "qos");
    counter("simqtt_bytes_received", "Payload bytes of accepted PUBLISH packets",
        c -> c.call(m.bytesIn()));
    counter("simqtt_bytes_sent", "Payload bytes of delivered PUBLISH packets",
        c -> c.call(m.bytesOut()));
    counter("simqtt_messages_dropped", "Messages not delivered to a subscriber, by reason",
        c -> {
          for (DropReason r : DropReason.values()) {
            c.call(m.drops(r), r.name().toLowerCase(Locale.ROOT));
          }
        }, "reason");
    counter("simqtt_auth_addresses_forgotten",
        "Addresses whose refused CONNECTs were forgotten before mqtt.auth.max-failure-delay"
            + " because 100,000 were remembered: their next refusal waits the shortest delay",
        c -> c.call(broker.authentication().addressesForgotten()));
    counter("simqtt_auth_permissions_retries",
        "Times the permissions of a stored session (or of a will) that an authorizer failed"
            + " for at recovery were asked for again",
        c -> c.call(broker.permissionRetries().retries()));
    counter("simqtt_auth_permissions_questions_abandoned",
        "Background retries' questions to the authorizers given up (interrupted) because no"
            + " answer came within mqtt.auth.retry-wait; the client is asked again later",
        c -> c.call(broker.permissionRetries().abandoned()));
    gauge("simqtt_auth_permissions_unknown",
        "Stored sessions whose permissions an authorizer failed to give at recovery, and wills"
            + " that came due meanwhile: they keep what is routed to them (the wills wait),"
            + " unchecked and not sent, until they are known; and sessions the authorizers could"
            + " not answer for under reloaded rules, which keep their old ones until then",
        c -> c.call(broker.permissionRetries().waiting()));
    counter("simqtt_protocol_errors", "Connections closed for malformed or illegal packets",
        c -> c.call(m.protocolErrors()));
    counter("simqtt_publishers_slowed",
        "Times a publisher's socket stopped being read because a peer link was over its budget",
        c -> c.call(m.publishersSlowed()));
    registerOverload(broker);
    gauge("simqtt_sessions", "Sessions held (connected or not)",
        c -> c.call(broker.sessions().size()));
    gauge("simqtt_subscriptions", "Subscriptions of this node's sessions",
        c -> c.call(broker.localSubscriptionCount()));
    gauge("simqtt_retained_messages", "Retained messages held",
        c -> c.call(broker.retained().size()));
    gauge("simqtt_retained_tombstones",
        "Clears and expiries of retained messages remembered, so older writes cannot return",
        c -> c.call(broker.retained().tombstoneCount()));
    counter("simqtt_retained_tombstones_dropped",
        "Tombstones forgotten before mqtt.retained.tombstone-retention because"
            + " mqtt.retained.max-tombstones was reached",
        c -> c.call(m.retainedTombstonesDropped()));
    gauge("simqtt_wills_kept",
        "Wills of stored sessions that went out and are kept in the store until every copy of"
            + " them is durable (durable mode)",
        c -> c.call(m.willsKept()));
    counter("simqtt_wills_sent_again",
        "Wills the store kept through a restart (their copies not all durable, or their"
            + " clients' permissions unknown) that went out again",
        c -> c.call(m.willsSentAgain()));
    gauge("simqtt_session_messages", "Messages held by sessions: queued or in flight",
        c -> {
          // Summed without a task per session (which would give every idle session an inbox).
          SessionRegistry.HeldMessages held = broker.sessions().heldMessages();
          c.call(held.queued(), "queued");
          c.call(held.inflight(), "inflight");
        }, "state");
  }

  private void registerOverload(Broker broker) {
    BrokerMetrics m = broker.metrics();
    counter("simqtt_connections_rejected",
        "Connections closed as they were accepted, before any byte was read, by listener and"
            + " reason (heap_guard, max_connections, address_rate, listener_rate)",
        c -> broker.listenerGates().forEach(g -> {
          for (ConnectionGate.Reason r : ConnectionGate.Reason.values()) {
            c.call(g.rejected(r), g.listener(), r.label());
          }
        }), "listener", "reason");
    counter("simqtt_connection_addresses_forgotten",
        "Source addresses whose connection rate was forgotten early because 100,000 were"
            + " remembered: they start afresh",
        c -> broker.listenerGates().forEach(g -> c.call(g.addressesForgotten(), g.listener())),
        "listener");
    counter("simqtt_client_reads_paused",
        "Times a client over mqtt.limits.max-messages-per-second or max-bytes-per-second"
            + " stopped being read for a while, by limit",
        c -> {
          c.call(m.readsPausedForMessages(), "messages");
          c.call(m.readsPausedForBytes(), "bytes");
        }, "limit");
    gauge("simqtt_heap_guard_active",
        "1 while the heap guard holds the node: no new connections, no reading from clients",
        c -> c.call(broker.heapGuard().active() ? 1 : 0));
    counter("simqtt_heap_guard_episodes",
        "Times the heap guard turned on (old generation over mqtt.heap-guard.stop-above after"
            + " a collection)",
        c -> c.call(broker.heapGuard().episodes()));
  }

  private void registerListeners(Broker broker) {
    gauge("simqtt_listener_connections", "Open connections, by listener and its type",
        c -> broker.listeners().forEach(l -> c.call(l.connections(), l.name(),
            l.settings().type().word())), "listener", "type");
    counter("simqtt_listener_connections_opened", "Connections a listener accepted, by listener",
        c -> broker.listeners().forEach(l -> c.call(l.connectionsAccepted(), l.name())),
        "listener");
    counter("simqtt_tls_handshake_failures",
        "TLS handshakes that failed on a listener, by listener and reason (not_tls,"
            + " no_client_certificate, certificate_expired, unknown_ca, no_common_parameters,"
            + " refused_by_client, timeout, other)",
        c -> broker.listeners().forEach(l -> l.handshakeFailures().forEach(
            (reason, n) -> c.call(n, l.name(), reason.label()))), "listener", "reason");
    counter("simqtt_tls_reloads", "Times a listener's TLS files changed and were read again",
        c -> broker.listeners().forEach(l -> {
          if (l.settings().type().tls()) {
            c.call(l.tlsReloads(), l.name());
          }
        }), "listener");
  }

  private void registerPeers(PeerCluster cluster) {
    if (cluster.linkTls() != null) {
      counter("simqtt_peer_tls_refused",
          "Peer certificates refused on links because they do not chain to the cluster CA",
          c -> c.call(cluster.linkTls().refusedCertificates()));
    }
    gauge("simqtt_peer_link_up", "1 when both streams to the peer are up, by peer and state",
        c -> cluster.linkStats().forEach(
            l -> c.call("UP".equals(l.state()) ? 1 : 0, l.peerId(), l.state())),
        "peer", "state");
    gauge("simqtt_peer_forwards_unacked", "Forwards the peer has not acknowledged yet (lag)",
        perPeer(cluster, PeerLinkStats::unacked), "peer");
    counter("simqtt_peer_forwards_sent", "Forwards sent to the peer",
        perPeer(cluster, PeerLinkStats::sent), "peer");
    counter("simqtt_peer_forwards_resent", "Forwards re-sent after a reconnect",
        perPeer(cluster, PeerLinkStats::resent), "peer");
    counter("simqtt_peer_forwards_dropped", "Forwards dropped, by peer and reason",
        c -> cluster.linkStats().forEach(l -> {
          c.call(l.droppedLinkDown(), l.peerId(), "link_down");
          c.call(l.droppedQueueFull(), l.peerId(), "queue_full");
          c.call(l.droppedPeerRestarted(), l.peerId(), "peer_restarted");
        }), "peer", "reason");
    counter("simqtt_peer_forwards_duplicates_dropped",
        "Forwards from the peer dropped because this node had seen them (re-sent after a"
            + " reconnect or after this node restarted from its store), by peer",
        perPeer(cluster, PeerLinkStats::duplicatesDropped), "peer");
    counter("simqtt_peer_forwards_seen_unrecorded",
        "Forwards from the peer whose record of being seen waited for earlier ones, past the"
            + " bound of ranges kept beyond the watermark (a kill then delivers them again)",
        perPeer(cluster, PeerLinkStats::seenUnrecorded), "peer");
    counter("simqtt_peer_forwards_untracked_incarnations",
        "Earlier incarnations of the peer whose re-sent forwards were taken with no record of"
            + " what was taken before (past the bound kept): some may be delivered twice",
        perPeer(cluster, PeerLinkStats::untrackedIncarnations), "peer");
    counter("simqtt_peer_control_dropped",
        "Frames kept for a down link's return (claim answers) dropped at the bound, by peer",
        perPeer(cluster, PeerLinkStats::controlDropped), "peer");
    counter("simqtt_peer_link_resyncs",
        "Times the link started over (and re-sent full snapshots) because route and retained"
            + " updates waiting for the peer were over cluster.max-link-backlog",
        perPeer(cluster, PeerLinkStats::resyncs), "peer");
    gauge("simqtt_peer_remote_routes", "Filters the peer advertises to this node",
        perPeer(cluster, PeerLinkStats::remoteRoutes), "peer");
  }

  private void registerStore(DurableStore store) {
    gauge("simqtt_store_disk_bytes",
        "Bytes of every file in the durable store's data directory (tables, write-ahead log)",
        c -> c.call(store.diskBytes()));
    gauge("simqtt_store_pending_writes", "Writes queued for the disk, not yet written",
        c -> c.call(store.pendingWrites()));
    gauge("simqtt_store_pending_bytes", "Bytes of the writes queued for the disk",
        c -> c.call(store.pendingBytes()));
    counter("simqtt_store_write_stalls",
        "Times a thread found mqtt.storage.max-pending-writes or -bytes reached and waited for"
            + " the disk (its clients slowed meanwhile; nothing is dropped)",
        c -> c.call(store.writeStalls()));
    counter("simqtt_store_write_stall_seconds", "Time threads waited for room in the queue",
        c -> c.call(store.writeStallNanos() / 1e9));
    counter("simqtt_store_hold_waits",
        "Batches that waited for a held write's release (copies waiting for what must reach"
            + " the disk in one unit with them: a QoS 2 publisher's id, a peer frame's seen"
            + " record, the deletion of the entries a session passed on)",
        c -> c.call(store.holdWaits()));
    counter("simqtt_store_hold_wait_seconds", "Time batches waited for held writes' releases",
        c -> c.call(store.holdWaitNanos() / 1e9));
    gauge("simqtt_store_writes_waiting_for_holds",
        "Writes and actions taken by the store's writer and kept back for holds still open"
            + " (theirs, and what must reach the disk after them); part of the pending writes",
        c -> c.call(store.waitingWrites()));
    counter("simqtt_store_holds_cut",
        "Holds cut: their writes were written before their release came, their unit not atomic;"
            + " by reason: age (1 s after the first was taken), room (a thread waited for room in"
            + " the full queue while they kept it so), read (a blocking read behind them), close"
            + " (the store closed)",
        c -> {
          for (HoldCut why : HoldCut.values()) {
            c.call(store.holdsCut(why), why.label());
          }
        }, "reason");
    counter("simqtt_store_commit_batches",
        "Group commits: batches of queued writes written at once",
        c -> c.call(store.commitBatches()));
    counter("simqtt_store_committed_writes",
        "Writes in all batches (divided by simqtt_store_commit_batches: the mean batch)",
        c -> c.call(store.committedWrites()));
    counter("simqtt_store_syncs",
        "Disk syncs of the write-ahead log (per batch with sync = always, per interval else)",
        c -> c.call(store.syncs()));
    counter("simqtt_store_sync_seconds",
        "Time the disk syncs took (divided by simqtt_store_syncs: the mean fsync latency)",
        c -> c.call(store.syncNanos() / 1e9));
    counter("simqtt_store_write_errors", "Writes and syncs the disk failed (each retried)",
        c -> c.call(store.writeErrors()));
    counter("simqtt_store_read_errors",
        "Reads of a queue's page on disk that failed (the session tries again, pausing longer"
            + " each time up to 5 s, and meanwhile sends what it has on the heap)",
        c -> c.call(store.readErrors()));
    counter("simqtt_store_writes_refused",
        "Writes not written: they came after the store began to close or its writer failed",
        c -> c.call(store.writesRefused()));
    gauge("simqtt_store_failed",
        "1 once the store's writer stopped on an unexpected error: nothing is written or"
            + " acknowledged as durable any more, the node needs a restart (see its log)",
        c -> c.call(store.failure() == null ? 0 : 1));
    gauge("simqtt_store_rocksdb_writes_stopped",
        "1 while RocksDB stops writes until compaction catches up",
        c -> c.call(store.rocksWritesStopped() ? 1 : 0));
    gauge("simqtt_store_rocksdb_delayed_write_rate",
        "Bytes per second RocksDB slows writes to while compaction is behind; 0 = not slowed",
        c -> c.call(store.rocksDelayedWriteRate()));
  }

  private static Consumer<Callback> perPeer(
      PeerCluster cluster, ToLongFunction<PeerLinkStats> value) {
    return c -> cluster.linkStats().forEach(l -> c.call(value.applyAsLong(l), l.peerId()));
  }

  private static void forQos(java.util.function.IntConsumer each) {
    for (int q = 0; q <= 2; q++) {
      each.accept(q);
    }
  }

  /** The two callback types of the library share this shape. */
  private interface Callback {
    void call(double value, String... labels);
  }

  private void gauge(String name, String help, Consumer<Callback> read, String... labels) {
    GaugeWithCallback.builder().name(name).help(help).labelNames(labels)
        .callback(c -> read.accept(c::call)).register(registry);
  }

  private void counter(String name, String help, Consumer<Callback> read, String... labels) {
    CounterWithCallback.builder().name(name).help(help).labelNames(labels)
        .callback(c -> read.accept(c::call)).register(registry);
  }

  @Override
  public void close() {
    if (http != null) {
      http.close();
    }
  }
}

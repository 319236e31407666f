package io.simqtt.peer.admin;

import io.simqtt.core.Broker;
import io.simqtt.core.server.MqttListener;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.session.ClientInfo;
import io.simqtt.core.session.Session;
import io.simqtt.core.session.SessionRegistry;
import io.simqtt.core.topic.SharedFilter;
import io.simqtt.core.topic.SubscriptionOptions;
import io.simqtt.core.topic.Topics;
import io.simqtt.peer.PeerCluster;
import io.simqtt.peer.PeerLinkStats;
import io.simqtt.proto.admin.Client;
import io.simqtt.proto.admin.ConnectionState;
import io.simqtt.proto.admin.GetClientResponse;
import io.simqtt.proto.admin.KickClientRequest;
import io.simqtt.proto.admin.KickClientResponse;
import io.simqtt.proto.admin.LinkStatus;
import io.simqtt.proto.admin.ListenerStatus;
import io.simqtt.proto.admin.ListClientsRequest;
import io.simqtt.proto.admin.ListClientsResponse;
import io.simqtt.proto.admin.ListSubscriptionsRequest;
import io.simqtt.proto.admin.ListSubscriptionsResponse;
import io.simqtt.proto.admin.NodeMetrics;
import io.simqtt.proto.admin.NodeReload;
import io.simqtt.proto.admin.NodeStatus;
import io.simqtt.proto.admin.StorageStatus;
import io.simqtt.proto.admin.Subscription;
import io.simqtt.store.DurableStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * This node's own part of every admin answer, built from the broker's public views. The same
 * answers serve the node's own admin calls and its peers' cluster-wide ones.
 */
final class LocalAdmin {
  /** Session tasks answer in microseconds; a stuck one must not hang an admin call. */
  private static final long SESSION_READ_SECONDS = 2;

  private final Broker broker;
  private final PeerCluster cluster;
  private final String version;
  private final DurableStore store;

  /** {@code cluster} is null for a single node, {@code store} in memory. */
  LocalAdmin(Broker broker, PeerCluster cluster, String version, DurableStore store) {
    this.broker = broker;
    this.cluster = cluster;
    this.version = version;
    this.store = store;
  }

  String nodeId() {
    return broker.settings().nodeId();
  }

  Broker broker() {
    return broker;
  }

  /** host:port of the first listener as configured, with the bound port; "" when none. */
  private String firstListener() {
    var listeners = broker.listeners();
    if (listeners.isEmpty()) {
      return "";
    }
    var l = listeners.get(0);
    return l.settings().host() + ":" + l.address().getPort();
  }

  NodeStatus status() {
    NodeStatus.Builder b = NodeStatus.newBuilder()
        .setNodeId(nodeId())
        .setVersion(version)
        .setIncarnation(cluster == null ? 0 : cluster.incarnation())
        .setUptimeSeconds((System.currentTimeMillis() - broker.startedAtMillis()) / 1000)
        .setMqttAddress(firstListener())
        .setConnections(broker.metrics().currentConnections())
        .setSessions(broker.sessions().size())
        .setSubscriptions(broker.localSubscriptionCount())
        .setRetainedMessages(broker.retained().size())
        .setStorage(storage());
    for (MqttListener l : broker.listeners()) {
      ListenerStatus.Builder ls = ListenerStatus.newBuilder()
          .setName(l.name())
          .setType(l.settings().type().word())
          .setUrl(l.url())
          .setConnections(l.connections())
          .setConnectionsOpened(l.connectionsAccepted());
      l.handshakeFailures().forEach((r, n) -> ls.putTlsHandshakeFailures(r.label(), n));
      b.addListeners(ls);
    }
    if (cluster != null) {
      for (PeerLinkStats l : cluster.linkStats()) {
        b.addLinks(LinkStatus.newBuilder()
            .setPeerId(l.peerId())
            .setState(l.state())
            .setMutualTls(cluster.linkTls() != null)
            .setRemoteRoutes(l.remoteRoutes())
            .setForwardsUnacked(l.unacked())
            .setForwardsSent(l.sent())
            .setForwardsResent(l.resent())
            .setForwardsDroppedLinkDown(l.droppedLinkDown())
            .setForwardsDroppedQueueFull(l.droppedQueueFull()));
      }
    }
    return b.build();
  }

  private StorageStatus storage() {
    if (store == null) {
      return StorageStatus.newBuilder().setMode("memory").build();
    }
    return StorageStatus.newBuilder()
        .setMode("durable")
        .setDataDir(store.dataDir().toString())
        .setDiskBytes(store.diskBytes())
        .setSync(store.settings().sync().name().toLowerCase(Locale.ROOT))
        .setPendingWrites(store.pendingWrites())
        .build();
  }

  /** One page of this node's sessions after the request's token (see {@link PageToken}). */
  CompletableFuture<ListClientsResponse> listClients(ListClientsRequest r, int pageSize) {
    PageToken after = PageToken.parse(r.getPageToken());
    List<String> ids = new ArrayList<>();
    for (Session s : broker.sessions().all()) {
      String id = s.clientId();
      if (id.startsWith(r.getClientIdPrefix())
          && stateMatches(r.getState(), s.isConnected())
          && (after == null || after.isBefore(id, nodeId()))) {
        ids.add(id);
      }
    }
    ids.sort(Comparator.naturalOrder());
    boolean more = ids.size() > pageSize;
    List<CompletableFuture<ClientInfo>> infos = new ArrayList<>();
    for (String id : ids.subList(0, Math.min(pageSize, ids.size()))) {
      infos.add(broker.sessions().info(id));
    }
    return allOf(infos).thenApply(list -> {
      ListClientsResponse.Builder b = ListClientsResponse.newBuilder();
      for (ClientInfo i : list) {
        if (i != null) {
          b.addClients(client(i));
        }
      }
      if (more && b.getClientsCount() > 0) {
        Client last = b.getClients(b.getClientsCount() - 1);
        b.setNextPageToken(new PageToken(last.getClientId(), last.getNodeId()).encode());
      }
      return b.build();
    });
  }

  CompletableFuture<GetClientResponse> getClient(String clientId) {
    return timed(broker.sessions().info(clientId)).thenApply(i -> i == null
        ? GetClientResponse.getDefaultInstance()
        : GetClientResponse.newBuilder().setFound(true).setClient(client(i)).build());
  }

  /**
   * Re-reads this node's password and ACL files and its listeners' TLS files; {@code trigger} is
   * for the log.
   */
  CompletableFuture<NodeReload> reload(String trigger) {
    List<String> tlsProblems = broker.reloadTls();
    return broker.reloadAuth(trigger).thenApply(r -> NodeReload.newBuilder()
        .setNodeId(nodeId())
        .setReloaded(r.reloaded())
        .setMessage(r.message())
        .setClientsUpdated(r.clientsUpdated())
        .addAllTlsProblems(tlsProblems)
        .build());
  }

  CompletableFuture<KickClientResponse> kick(KickClientRequest r) {
    return timed(broker.sessions().kick(r.getClientId(), r.getDiscardSession()))
        .thenApply(wasConnected -> wasConnected == null
            ? KickClientResponse.getDefaultInstance()
            : KickClientResponse.newBuilder()
                .setFound(true)
                .setNodeId(nodeId())
                .setWasConnected(wasConnected)
                .setSessionDiscarded(r.getDiscardSession())
                .build());
  }

  /** Subscriptions selected by the request, at most {@code limit} + 1 (to tell truncation). */
  CompletableFuture<ListSubscriptionsResponse> subscriptions(
      ListSubscriptionsRequest r, int limit) {
    SessionRegistry sessions = broker.sessions();
    CompletableFuture<List<ClientInfo>> infos = switch (r.getSelectorCase()) {
      case CLIENT_ID -> sessions.info(r.getClientId())
          .thenApply(i -> i == null ? List.<ClientInfo>of() : List.of(i));
      default -> sessions.readEach(Session::info);
    };
    return timed(infos).thenApply(list -> {
      List<Subscription> found = new ArrayList<>();
      for (ClientInfo i : list) {
        i.subscriptions().forEach((filter, options) -> {
          if (selected(r, filter)) {
            found.add(subscription(i.clientId(), filter, options));
          }
        });
      }
      found.sort(Gather.SUBSCRIPTION_ORDER);
      boolean truncated = found.size() > limit;
      return ListSubscriptionsResponse.newBuilder()
          .addAllSubscriptions(found.subList(0, Math.min(limit, found.size())))
          .setTruncated(truncated)
          .build();
    });
  }

  /**
   * This node's figures. The session totals are summed without a task per session (see {@link
   * SessionRegistry#heldMessages}): a task would give every idle session an inbox it keeps.
   */
  CompletableFuture<NodeMetrics> metrics() {
    SessionRegistry.HeldMessages held = broker.sessions().heldMessages();
    BrokerMetrics m = broker.metrics();
    NodeMetrics.Builder b = NodeMetrics.newBuilder()
        .setNodeId(nodeId())
        .setConnections(m.currentConnections())
        .setConnectsAccepted(m.connectsAccepted())
        .setBytesReceived(m.bytesIn())
        .setBytesSent(m.bytesOut())
        .setProtocolErrors(m.protocolErrors())
        .setSessions(broker.sessions().size())
        .setSubscriptions(broker.localSubscriptionCount())
        .setRetainedMessages(broker.retained().size())
        .setQueued(held.queued())
        .setInflight(held.inflight());
    m.connectsRefused().forEach((code, n) -> b.putConnectsRefused(reasonHex(code), n));
    for (int qos = 0; qos <= 2; qos++) {
      b.addMessagesReceived(m.messagesIn(qos)).addMessagesSent(m.messagesOut(qos));
    }
    for (DropReason reason : DropReason.values()) {
      b.putDrops(reason.name().toLowerCase(Locale.ROOT), m.drops(reason));
    }
    return CompletableFuture.completedFuture(b.build());
  }

  static String reasonHex(int code) {
    return String.format("0x%02X", code);
  }

  private static boolean selected(ListSubscriptionsRequest r, String filter) {
    return switch (r.getSelectorCase()) {
      case FILTER -> filter.equals(r.getFilter());
      case TOPIC -> {
        SharedFilter shared = Topics.parseShared(filter);
        yield Topics.matches(shared == null ? filter : shared.filter(), r.getTopic());
      }
      default -> true;
    };
  }

  private static boolean stateMatches(ConnectionState wanted, boolean connected) {
    return switch (wanted) {
      case CONNECTED -> connected;
      case OFFLINE -> !connected;
      default -> true;
    };
  }

  private Client client(ClientInfo i) {
    Client.Builder b = Client.newBuilder()
        .setClientId(i.clientId())
        .setNodeId(nodeId())
        .setConnected(i.connected())
        .setRemoteAddress(i.remoteAddress())
        .setProtocolVersion(versionName(i.version()))
        .setKeepAlive(i.keepAlive())
        .setSessionExpiryInterval(i.sessionExpiry())
        .setQueued(i.queued())
        .setInflight(i.inflight());
    i.subscriptions().entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> b.addSubscriptions(subscription(i.clientId(), e.getKey(), e.getValue())));
    return b.build();
  }

  private Subscription subscription(String clientId, String filter, SubscriptionOptions o) {
    return Subscription.newBuilder()
        .setClientId(clientId)
        .setNodeId(nodeId())
        .setFilter(filter)
        .setQos(o.qos())
        .setNoLocal(o.noLocal())
        .setRetainAsPublished(o.retainAsPublished())
        .setRetainHandling(o.retainHandling())
        .setSubscriptionId(o.subscriptionId())
        .build();
  }

  static String versionName(MqttVersion v) {
    if (v == null) {
      return "";
    }
    return switch (v) {
      case MQTT_3_1 -> "3.1";
      case MQTT_3_1_1 -> "3.1.1";
      case MQTT_5 -> "5.0";
    };
  }

  private static <T> CompletableFuture<T> timed(CompletableFuture<T> f) {
    return f.orTimeout(SESSION_READ_SECONDS, TimeUnit.SECONDS);
  }

  private static <T> CompletableFuture<List<T>> allOf(List<CompletableFuture<T>> futures) {
    return timed(CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
        .thenApply(v -> futures.stream().map(CompletableFuture::join).toList()));
  }
}

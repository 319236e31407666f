package io.simqtt.core;

import io.simqtt.core.cluster.HybridClock;
import io.simqtt.core.cluster.LocalNode;
import io.simqtt.core.cluster.RetainedStamp;
import io.simqtt.core.message.Message;
import io.simqtt.core.retain.RetainedEntry;
import io.simqtt.core.retain.RetainedStore;
import io.simqtt.core.routing.DeliveryReceipt;
import io.simqtt.core.routing.MessageRouter;
import io.simqtt.core.routing.RemoteRoutes;
import io.simqtt.core.session.Session;
import io.simqtt.core.session.SessionRegistry;
import io.simqtt.core.session.Delivery;
import io.simqtt.core.session.HandOver;
import io.simqtt.core.session.SessionImport;
import io.simqtt.core.session.WriteHold;
import io.simqtt.core.sys.SysTopics;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** This broker as the cluster sees it: the inbound side of the peer protocol. */
final class BrokerNode implements LocalNode {
  private static final Logger LOG = LoggerFactory.getLogger(BrokerNode.class);
  private final String nodeId;
  private final HybridClock clock;
  private final MessageRouter router;
  private final RemoteRoutes remoteRoutes;
  private final SessionRegistry sessions;
  private final RetainedStore retained;

  BrokerNode(
      String nodeId,
      HybridClock clock,
      MessageRouter router,
      RemoteRoutes remoteRoutes,
      SessionRegistry sessions,
      RetainedStore retained) {
    this.nodeId = nodeId;
    this.clock = clock;
    this.router = router;
    this.remoteRoutes = remoteRoutes;
    this.sessions = sessions;
    this.retained = retained;
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  @Override
  public HybridClock clock() {
    return clock;
  }

  @Override
  public List<String> deliverForwarded(
      Message message, boolean direct, List<String> shared, DeliveryReceipt receipt) {
    return router.deliverForwarded(message, direct, shared, receipt);
  }

  @Override
  public void returnShared(Message message, List<String> shared, String fromNodeId) {
    router.returnShared(message, shared, fromNodeId);
  }

  @Override
  public void replaceRemoteRoutes(String peerId, Map<String, Integer> routes) {
    remoteRoutes.replace(peerId, routes);
  }

  @Override
  public void updateRemoteRoute(String peerId, String filter, int count) {
    remoteRoutes.update(peerId, filter, count);
  }

  @Override
  public void dropRemoteRoutes(String peerId) {
    remoteRoutes.drop(peerId);
  }

  @Override
  public CompletableFuture<HandOver> handOver(String clientId, boolean cleanStart) {
    Session s = sessions.get(clientId);
    if (s == null) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<HandOver> handed = new CompletableFuture<>();
    s.execute(() -> s.handOver(cleanStart, handed));
    return handed;
  }

  @Override
  public SessionImport importSession(String clientId, boolean stored) {
    return sessions.importSession(clientId, stored);
  }

  @Override
  public void deliverRedirected(
      String clientId, Delivery delivery, int hops, long lineage, DeliveryReceipt receipt) {
    router.deliverRedirected(clientId, delivery, hops, lineage, receipt);
  }

  @Override
  public boolean keepsSessions() {
    return sessions.store().isDurable();
  }

  @Override
  public void afterDurable(Runnable action) {
    sessions.store().afterDurable(action);
  }

  @Override
  public WriteHold holdWrites() {
    return sessions.store().holdWrites();
  }

  @Override
  public void forEachOwnedSession(BiConsumer<String, Long> owned) {
    for (Session s : sessions.all()) {
      if (!s.isEnded()) {
        owned.accept(s.clientId(), s.ownedSince());
      }
    }
  }

  @Override
  public void expectRedirectsSince(long apartSince) {
    for (Session s : sessions.all()) {
      if (s.ownedSince() >= apartSince && !s.isEnded()) {
        s.execute(s::expectRedirects);
      }
    }
  }

  @Override
  public void resolveOwner(String clientId, long theirStamp, String theirNode) {
    Session s = sessions.get(clientId);
    if (s == null || s.isMoved()) {
      return;
    }
    s.execute(() -> {
      if (!s.ownedLaterThan(theirStamp, theirNode, nodeId)) {
        LOG.atWarn().addKeyValue("clientId", clientId).addKeyValue("peer", theirNode)
            .addKeyValue("reason", "taken_over")
            .log("client {} was taken by {} too while the nodes were apart; it goes there",
                clientId, theirNode);
        s.yieldTo(theirNode);
      } else {
        s.expectRedirects(); // the other node yields and sends what it held here
      }
    });
  }

  @Override
  public void applyRetained(String topic, Message message, RetainedStamp stamp) {
    clock.observe(stamp.hlc());
    if (SysTopics.isSys(topic)) {
      return; // another node's own figures; ours are kept here
    }
    retained.apply(topic, message, stamp);
  }

  @Override
  public List<RetainedEntry> retainedEntries() {
    // $SYS entries are this node's own figures and never leave it.
    return retained.entries().stream().filter(e -> !SysTopics.isSys(e.topic())).toList();
  }
}

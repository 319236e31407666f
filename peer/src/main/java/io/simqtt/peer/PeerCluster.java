package io.simqtt.peer;

import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.simqtt.config.ClusterSettings;
import io.simqtt.config.ClusterSettings.PeerAddress;
import io.simqtt.config.NodeSettings;
import io.simqtt.core.cluster.Backpressure;
import io.simqtt.core.cluster.ClaimResult;
import io.simqtt.core.cluster.Cluster;
import io.simqtt.core.cluster.ForwardCopy;
import io.simqtt.core.cluster.LocalNode;
import io.simqtt.core.cluster.RetainedStamp;
import io.simqtt.core.message.Message;
import io.simqtt.core.retain.RetainedEntry;
import io.simqtt.core.session.Delivery;
import io.simqtt.proto.peer.AppMessage;
import io.simqtt.proto.peer.Hello;
import io.simqtt.proto.peer.HelloAccepted;
import io.simqtt.proto.peer.OwnedSession;
import io.simqtt.proto.peer.OwnedSessions;
import io.simqtt.proto.peer.PeerFrame;
import io.simqtt.proto.peer.RetainedUpdate;
import io.simqtt.proto.peer.Route;
import io.simqtt.proto.peer.RouteSnapshot;
import io.simqtt.proto.peer.RouteUpdate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node as a member of the static peer cluster: the gRPC listener peers dial, one {@link
 * OutboundLink} to each peer, the routes this node advertises, and the session claims.
 */
public final class PeerCluster implements Cluster {
  private static final Logger LOG = LoggerFactory.getLogger(PeerCluster.class);
  /** 2: challenge-based Hello, state and route snapshots in parts, redirects, heartbeats. */
  static final int PROTOCOL_VERSION = 2;
  private static final String SHARE_PREFIX = "$share/";
  /**
   * Headroom over the largest MQTT packet for a frame: a forward batch tops up to 64 KiB before a
   * large message joins it, and state parts are 256 KiB.
   */
  private static final int FRAME_HEADROOM = 1 << 20;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final NodeSettings settings;
  private final ClusterSettings config;
  private final long incarnation = new SecureRandom().nextLong();
  private final HelloProof proof;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "simqtt-peer-timer");
            t.setDaemon(true);
            return t;
          });
  private final ClusterSettings.Timing timing;
  /** The largest frame a link accepts; every frame sent is kept below it. */
  private final int maxFrameBytes;
  private final Map<String, OutboundLink> links = new LinkedHashMap<>();
  /** Local subscriptions per filter; guarded by itself, which also orders route frames. */
  private final Map<String, Integer> localRoutes = new HashMap<>();
  /** What each peer advertises, mirrored so its shared routes can be withdrawn when it drops. */
  private final Map<String, Map<String, Integer>> peerRoutes = new ConcurrentHashMap<>();
  private final Map<String, InboundLink> inbound = new ConcurrentHashMap<>();
  /** Per peer whose stream into this node is gone: since when (nanoTime). */
  private final Map<String, Long> inboundDownSince = new ConcurrentHashMap<>();
  /** Per peer: the incarnation and highest forward number seen, to drop re-sent forwards. */
  private final Map<String, long[]> forwardsSeen = new ConcurrentHashMap<>();
  /** Per peer: the withdrawal of its ordinary routes, due when its link stays down. */
  private final Map<String, ScheduledFuture<?>> routeWithdrawals = new ConcurrentHashMap<>();
  private LocalNode node;
  private ClaimBook claims;
  private HandOvers handOvers;
  private Server server;
  /** Other services on the peer port (the node-to-node admin service); fixed at start. */
  private final List<ServerServiceDefinition> extraServices = new ArrayList<>();

  public PeerCluster(NodeSettings settings) {
    this.settings = settings;
    this.config = settings.cluster();
    this.timing = config.timing();
    this.maxFrameBytes = settings.mqtt().limits().maxPacketSize() + FRAME_HEADROOM;
    this.proof = new HelloProof(config.secret());
  }

  /** Serves {@code service} on the peer port too; call before the broker starts. */
  public synchronized void addService(ServerServiceDefinition service) {
    if (server != null) {
      throw new IllegalStateException("the peer listener is already running");
    }
    extraServices.add(service);
  }

  // ---- Cluster ----

  @Override
  public void start(LocalNode localNode) {
    this.node = localNode;
    this.claims =
        new ClaimBook(
            this, localNode.clock(), timer, timing.claimTimeout(), timing.handOverTimeout());
    this.handOvers = new HandOvers(timer, timing.handOverTimeout());
    long silenceNanos = timing.keepAliveInterval().plus(timing.keepAliveTimeout()).toNanos();
    try {
      NettyServerBuilder builder =
          NettyServerBuilder.forAddress(
                  new InetSocketAddress(config.listen().host(), config.listen().port()))
              .directExecutor()
              .maxInboundMessageSize(maxFrameBytes)
              // A backstop for idle transports (gRPC raises it to 10 s at least); peers' own
              // pings are allowed at that rate. Liveness itself is the links' heartbeats.
              .keepAliveTime(timing.keepAliveInterval().toMillis(), TimeUnit.MILLISECONDS)
              .keepAliveTimeout(timing.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
              .permitKeepAliveTime(5, TimeUnit.SECONDS)
              .permitKeepAliveWithoutCalls(true)
              .addService(new PeerService(this, timer, silenceNanos));
      synchronized (this) {
        extraServices.forEach(builder::addService);
        server = builder.build().start();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot listen for peers on " + config.listen().host() + ":" + config.listen().port(),
          e);
    }
    timer.scheduleAtFixedRate(this::releaseDeadLinks, 1, 1, TimeUnit.SECONDS);
    for (PeerAddress p : config.peers()) {
      links.put(
          p.id(),
          new OutboundLink(p, this, timer, timing, maxFrameBytes, config.maxLinkBacklog()));
    }
    links.values().forEach(OutboundLink::start);
  }

  @Override
  public void stop() {
    links.values().forEach(OutboundLink::stop);
    if (server != null) {
      server.shutdownNow();
      try {
        server.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    timer.shutdownNow();
  }

  @Override
  public void subscriptionAdded(String filter) {
    synchronized (localRoutes) {
      announce(filter, localRoutes.merge(filter, 1, Integer::sum));
    }
  }

  @Override
  public void subscriptionRemoved(String filter) {
    synchronized (localRoutes) {
      Integer left = localRoutes.computeIfPresent(filter, (f, n) -> n > 1 ? n - 1 : null);
      announce(filter, left == null ? 0 : left);
    }
  }

  private void announce(String filter, int count) {
    PeerFrame frame =
        PeerFrame.newBuilder()
            .setRouteUpdate(RouteUpdate.newBuilder().setRoute(route(filter, count)))
            .build();
    for (OutboundLink l : links.values()) {
      l.sendControl(frame);
    }
  }

  @Override
  public Backpressure forward(Message message, List<ForwardCopy> copies) {
    // Converted once here, on the publisher's event loop, whatever number of nodes get it.
    AppMessage proto = ProtoConvert.toProto(message);
    Backpressure pressure = null;
    for (ForwardCopy copy : copies) {
      OutboundLink l = links.get(copy.nodeId());
      if (l != null && l.forward(proto, copy.direct(), copy.shared())) {
        pressure = l;
      }
    }
    return pressure;
  }

  @Override
  public void redirect(String nodeId, String clientId, Delivery delivery, int hops) {
    OutboundLink l = links.get(nodeId);
    if (l != null) {
      l.redirect(clientId, ProtoConvert.toProto(delivery).build(), hops);
    }
  }

  @Override
  public boolean canReach(String nodeId) {
    OutboundLink l = links.get(nodeId);
    return l != null && l.state() == OutboundLink.State.UP && inbound.containsKey(nodeId);
  }

  @Override
  public void retainedChanged(String topic, Message message, RetainedStamp stamp) {
    PeerFrame frame = retainedFrame(topic, message, stamp, false);
    for (OutboundLink l : links.values()) {
      l.sendControl(frame);
    }
  }

  @Override
  public CompletableFuture<ClaimResult> claim(String clientId, boolean cleanStart) {
    return claims.claim(clientId, cleanStart);
  }

  // ---- status ----

  /** The bound peer listener address (the real port when 0 was configured). */
  public InetSocketAddress listenAddress() {
    return (InetSocketAddress) server.getListenSockets().get(0);
  }

  /**
   * Per peer: "UP" when both streams (ours to it and its to us) are open, else "CONNECTING" or
   * "DOWN" for our stream, or "HALF" when only ours is up.
   */
  public Map<String, String> linkStates() {
    Map<String, String> states = new LinkedHashMap<>();
    for (OutboundLink l : links.values()) {
      states.put(l.peerId(), linkState(l));
    }
    return states;
  }

  /** One entry of {@link #linkStates}. */
  private String linkState(OutboundLink l) {
    OutboundLink.State s = l.state();
    return s != OutboundLink.State.UP ? s.name() : inbound.containsKey(l.peerId()) ? "UP" : "HALF";
  }

  /** Per peer link: state and forward counters, for status and metrics. */
  public List<PeerLinkStats> linkStats() {
    List<PeerLinkStats> stats = new ArrayList<>();
    for (OutboundLink l : links.values()) {
      Map<String, Integer> routes = peerRoutes.getOrDefault(l.peerId(), Map.of());
      int routeCount;
      synchronized (routes) {
        routeCount = routes.size();
      }
      stats.add(new PeerLinkStats(
          l.peerId(),
          linkState(l),
          l.unackedCount(),
          l.forwardsSent.sum(),
          l.forwardsResent.sum(),
          l.forwardsDroppedLinkDown.sum(),
          l.forwardsDroppedQueueFull.sum(),
          l.forwardsDroppedPeerRestarted.sum(),
          l.controlDropped.sum(),
          routeCount));
    }
    return stats;
  }

  public boolean allLinksUp() {
    return linkStates().values().stream().allMatch("UP"::equals);
  }

  public long incarnation() {
    return incarnation;
  }

  // ---- for links ----

  String nodeId() {
    return settings.nodeId();
  }

  LocalNode node() {
    return node;
  }

  ClaimBook claims() {
    return claims;
  }

  HandOvers handOvers() {
    return handOvers;
  }

  List<OutboundLink> upLinks() {
    List<OutboundLink> up = new ArrayList<>();
    for (OutboundLink l : links.values()) {
      if (l.state() == OutboundLink.State.UP) {
        up.add(l);
      }
    }
    return up;
  }

  /** A peer is stopping on purpose: its sessions end with it, nobody need wait for them. */
  void peerLeft(String peerId) {
    LOG.info("peer {} is stopping", peerId);
    links.get(peerId).peerLeft();
  }

  /**
   * Every peer is dead, or both its streams are up and it has re-sent what it held (its stream
   * into this node has handled the forwards its Hello said it would re-send). A peer whose
   * stream into this node stays away longer than dead-after counts as dead here too.
   */
  @Override
  public boolean isSettled() {
    long now = System.nanoTime();
    long deadAfter = timing.deadAfter().toNanos();
    for (OutboundLink l : links.values()) {
      if (l.isSuspect(deadAfter)) {
        return false;
      }
      if (l.state() != OutboundLink.State.UP) {
        continue; // dead, or said Goodbye
      }
      InboundLink in = inbound.get(l.peerId());
      if (in == null) {
        Long downSince = inboundDownSince.get(l.peerId());
        if (downSince == null || now - downSince < deadAfter) {
          return false;
        }
      } else if (!in.caughtUp()) {
        return false;
      }
    }
    return true;
  }

  /**
   * Every second: publishers waiting for room on the link to a peer that is now dead go on (its
   * stream into this node may still be up, so the route withdrawal alone would not do it).
   */
  private void releaseDeadLinks() {
    long deadAfter = timing.deadAfter().toNanos();
    for (OutboundLink l : links.values()) {
      if (l.state() != OutboundLink.State.UP && !l.isSuspect(deadAfter)) {
        l.stopHoldingPublishers();
      }
    }
  }

  /** Whether some peer is down but not yet declared dead (see {@code cluster.dead-after}). */
  boolean hasSuspectPeers() {
    long deadAfter = timing.deadAfter().toNanos();
    for (OutboundLink l : links.values()) {
      if (l.isSuspect(deadAfter)) {
        return true;
      }
    }
    return false;
  }

  /** Sends a frame to a peer now, or when its link is back (see OutboundLink.sendWhenUp). */
  void sendWhenUp(String peerId, PeerFrame frame) {
    OutboundLink l = links.get(peerId);
    if (l != null) {
      l.sendWhenUp(frame);
    }
  }

  /** Sends a control frame to a peer if its link is up. */
  void send(String peerId, PeerFrame frame) {
    OutboundLink l = links.get(peerId);
    if (l != null) {
      l.sendControl(frame);
    }
  }

  static byte[] newChallenge() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return b;
  }

  /** Our Hello to {@code target}, proving the secret over its {@code nonce}. */
  Hello hello(String target, ByteString nonce, byte[] ownChallenge, long resendThrough) {
    Hello unsigned =
        Hello.newBuilder()
            .setClusterName(config.name())
            .setNodeId(settings.nodeId())
            .setIncarnation(incarnation)
            .setProtocolVersion(PROTOCOL_VERSION)
            .setTargetNodeId(target)
            .setChallenge(ByteString.copyFrom(ownChallenge))
            .setResendThrough(resendThrough)
            .build();
    byte[] signature = proof.sign(unsigned, nonce.toByteArray());
    return unsigned.toBuilder().setProof(ByteString.copyFrom(signature)).build();
  }

  /** Our acceptance of a Hello, proving the secret over the Hello's own challenge. */
  HelloAccepted accepted(byte[] helloChallenge) {
    HelloAccepted unsigned =
        HelloAccepted.newBuilder().setNodeId(settings.nodeId()).setIncarnation(incarnation).build();
    byte[] signature = proof.sign(unsigned, helloChallenge);
    return unsigned.toBuilder().setProof(ByteString.copyFrom(signature)).build();
  }

  boolean verifyAccepted(HelloAccepted a, byte[] ownChallenge) {
    return proof.verify(a, ownChallenge);
  }

  /**
   * Runs on the link's thread as it comes up: full routes (in parts, each well below the frame
   * limit whatever the number of filters) and retained state go first.
   */
  void onLinkUp(OutboundLink link) {
    synchronized (localRoutes) {
      List<Route> routes = new ArrayList<>(localRoutes.size());
      localRoutes.forEach((f, n) -> routes.add(route(f, n)));
      FrameParts.inParts(routes, (part, more) -> link.sendOnLinkThread(
          PeerFrame.newBuilder()
              .setRouteSnapshot(RouteSnapshot.newBuilder().addAllRoutes(part).setMore(more))
              .build()));
    }
    sendOwnedSessions(link);
    for (RetainedEntry e : node.retainedEntries()) {
      link.sendOnLinkThread(retainedFrame(e.topic(), e.message(), e.stamp(), true));
    }
  }

  void onLinkDown(String peerId) {
    claims.onLinkDown(peerId);
  }

  /** Which clients this node holds, for the peer to find any it took too during a partition. */
  private void sendOwnedSessions(OutboundLink link) {
    List<OwnedSession> owned = new ArrayList<>();
    node.forEachOwnedSession((clientId, stamp) ->
        owned.add(OwnedSession.newBuilder().setClientId(clientId).setStamp(stamp).build()));
    if (!owned.isEmpty()) {
      FrameParts.inParts(owned, (part, more) -> link.sendOnLinkThread(
          PeerFrame.newBuilder().setOwned(OwnedSessions.newBuilder().addAllSessions(part)).build()));
    }
  }

  // ---- for inbound streams ----

  /** Why a Hello is refused, or null to accept it; {@code challenge} is what we sent it. */
  String checkHello(Hello h, byte[] challenge) {
    if (!config.name().equals(h.getClusterName())) {
      return "cluster name '" + h.getClusterName() + "' is not '" + config.name() + "'";
    }
    if (h.getProtocolVersion() != PROTOCOL_VERSION) {
      return "protocol version " + h.getProtocolVersion() + " (this node speaks " + PROTOCOL_VERSION + ")";
    }
    if (!links.containsKey(h.getNodeId())) {
      return "node id '" + h.getNodeId() + "' is not in this node's peer list";
    }
    if (!settings.nodeId().equals(h.getTargetNodeId())) {
      return "the link is meant for '" + h.getTargetNodeId() + "'";
    }
    if (!proof.verify(h, challenge)) {
      return "wrong cluster secret, or a replayed Hello";
    }
    return null;
  }

  void inboundUp(String peerId, long peerIncarnation, InboundLink link) {
    ScheduledFuture<?> withdrawal = routeWithdrawals.remove(peerId);
    if (withdrawal != null) {
      withdrawal.cancel(false);
    }
    links.get(peerId).peerIsListening();
    inboundDownSince.remove(peerId);
    InboundLink previous = inbound.put(peerId, link);
    if (previous != null && previous != link) {
      previous.close();
    }
    long[] seen = forwardsSeen.get(peerId);
    if (seen == null || seen[0] != peerIncarnation) {
      if (seen != null) {
        LOG.info("peer {} restarted: its old routes are replaced", peerId);
      }
      forwardsSeen.put(peerId, new long[] {peerIncarnation, 0});
    }
  }

  void inboundDown(String peerId, InboundLink link) {
    handOvers.linkLost(link);
    if (peerId == null || !inbound.remove(peerId, link)) {
      return;
    }
    inboundDownSince.put(peerId, System.nanoTime());
    // Shared groups must stop choosing this node at once. Its ordinary routes stay for a while,
    // so QoS 1/2 forwards wait for it (bounded) instead of being lost in a short link flap.
    withdrawRoutes(peerId, f -> f.startsWith(SHARE_PREFIX));
    routeWithdrawals.put(
        peerId,
        timer.schedule(
            () -> {
              if (!inbound.containsKey(peerId)) {
                LOG.info("peer {} down for {}: its routes are withdrawn", peerId,
                    timing.deadAfter());
                withdrawRoutes(peerId, f -> true);
                links.get(peerId).stopHoldingPublishers();
              }
            },
            timing.deadAfter().toMillis(),
            TimeUnit.MILLISECONDS));
  }

  private void withdrawRoutes(String peerId, Predicate<String> which) {
    Map<String, Integer> routes = peerRoutes.getOrDefault(peerId, Map.of());
    synchronized (routes) {
      for (String f : List.copyOf(routes.keySet())) {
        if (which.test(f)) {
          routes.remove(f);
          node.updateRemoteRoute(peerId, f, 0);
        }
      }
    }
  }

  /** Whether a forward from a peer is new (not a re-send of one already handled). */
  boolean acceptForward(String peerId, long seq) {
    long[] seen = forwardsSeen.get(peerId);
    synchronized (seen) {
      if (seq <= seen[1]) {
        return false;
      }
      seen[1] = seq;
      return true;
    }
  }

  void peerRoutesReplaced(String peerId, Map<String, Integer> routes) {
    Map<String, Integer> mirror = peerRoutes.computeIfAbsent(peerId, p -> new HashMap<>());
    synchronized (mirror) {
      mirror.clear();
      routes.forEach((f, n) -> {
        if (n > 0) {
          mirror.put(f, n);
        }
      });
      node.replaceRemoteRoutes(peerId, mirror);
    }
  }

  void peerRouteUpdated(String peerId, String filter, int count) {
    Map<String, Integer> mirror = peerRoutes.computeIfAbsent(peerId, p -> new HashMap<>());
    synchronized (mirror) {
      if (count > 0) {
        mirror.put(filter, count);
      } else {
        mirror.remove(filter);
      }
      node.updateRemoteRoute(peerId, filter, count);
    }
  }

  private static Route route(String filter, int count) {
    return Route.newBuilder().setFilter(filter).setCount(count).build();
  }

  private PeerFrame retainedFrame(
      String topic, Message message, RetainedStamp stamp, boolean snapshot) {
    RetainedUpdate.Builder b =
        RetainedUpdate.newBuilder()
            .setTopic(topic)
            .setHlc(stamp.hlc())
            .setOriginNode(stamp.nodeId())
            .setSnapshot(snapshot);
    if (message != null) {
      b.setMessage(ProtoConvert.toProto(message));
    }
    return PeerFrame.newBuilder().setRetained(b).build();
  }
}

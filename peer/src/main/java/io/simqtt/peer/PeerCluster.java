package io.simqtt.peer;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServerBuilder;
import io.simqtt.config.ClusterSettings;
import io.simqtt.config.ClusterSettings.PeerAddress;
import io.simqtt.config.NodeSettings;
import io.simqtt.core.cluster.Backpressure;
import io.simqtt.core.cluster.ClaimResult;
import io.simqtt.core.cluster.Cluster;
import io.simqtt.core.cluster.ForwardCopy;
import io.simqtt.core.cluster.ForwardJournal;
import io.simqtt.core.cluster.LocalNode;
import io.simqtt.core.cluster.RetainedStamp;
import io.simqtt.core.cluster.SeenForwards;
import io.simqtt.core.message.Message;
import io.simqtt.core.routing.DeliveryReceipt;
import io.simqtt.core.session.Delivery;
import io.simqtt.proto.peer.AppMessage;
import io.simqtt.store.CoreProtos;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node as a member of the static peer cluster: core's {@link Cluster} on top of the parts
 * it wires together at start. The gRPC listener peers dial ({@link PeerService}, one {@link
 * InboundLink} per stream, tracked by {@link InboundStreams}), one {@link OutboundLink} per peer
 * ({@link OutboundLinks}), the routes this node advertises ({@link LocalRoutes}) and those peers
 * advertise ({@link RemoteRoutes}), and both sides of a session's move ({@link ClaimBook}, {@link
 * HandOvers}).
 */
public final class PeerCluster implements Cluster {
  private static final Logger LOG = LoggerFactory.getLogger(PeerCluster.class);
  /**
   * Headroom over the largest MQTT packet for a frame: a forward batch tops up to 64 KiB before a
   * large message joins it, and state parts are 256 KiB.
   */
  private static final int FRAME_HEADROOM = 1 << 20;

  private final NodeSettings settings;
  private final ClusterSettings config;
  private final Handshake handshake;
  private final Scheduler timer;
  private final PeerTransport transport;
  private LinkTls tls;
  private final ClusterSettings.Timing timing;
  /** The largest frame a link accepts; every frame sent is kept below it. */
  private final int maxFrameBytes;
  private final OutboundLinks links;
  private final LocalRoutes localRoutes;
  private RemoteRoutes remoteRoutes;
  private InboundStreams inbound;
  private ClaimBook claims;
  private Server server;
  /** Other services on the peer port (the node-to-node admin service); fixed at start. */
  private final List<ServerServiceDefinition> extraServices = new ArrayList<>();
  private ForwardJournal journal = ForwardJournal.MEMORY;
  private SeenForwards seen = SeenForwards.MEMORY;
  /**
   * The links, once the cluster has started them; null before: until then the cluster is not
   * whole (sessions recovered from the store are back before the links are made). An array, so
   * that a look at them takes nothing from the heap.
   */
  private volatile OutboundLink[] started;
  /**
   * Since when the cluster has been seen whole ({@link Scheduler#nanoTime}): the first look of
   * the cluster's timer ({@link #lookWhole}, its only writer) that found it so after one that
   * did not, or after a link or stream came up since; {@link #NOT_SEEN_WHOLE} if the last look
   * found a peer away or none has been made.
   */
  private volatile long wholeSeenNanos = NOT_SEEN_WHOLE;

  private static final long NOT_SEEN_WHOLE = Long.MIN_VALUE;
  /** {@link #lastCameBackNanos}: a peer is away. */
  private static final long AWAY = Long.MIN_VALUE;
  /** {@link #lastCameBackNanos}: no peer to come back. */
  private static final long NO_PEERS = Long.MIN_VALUE + 1;

  public PeerCluster(NodeSettings settings) {
    this(settings, linkTls(settings), new SystemScheduler());
  }

  private PeerCluster(NodeSettings settings, LinkTls tls, Scheduler timer) {
    this(settings, new NettyPeerTransport(settings.cluster(), tls), timer);
    this.tls = tls;
  }

  private static LinkTls linkTls(NodeSettings settings) {
    var files = settings.cluster().tls();
    return files == null ? null : new LinkTls(files);
  }

  /** Mutual TLS on the links, or null when they are plain TCP (and in-process tests). */
  public LinkTls linkTls() {
    return tls;
  }

  /**
   * With {@code transport} for the peer listener and links, and {@code timer} for every timeout
   * and timer of the cluster (tests: in-process links on manual time).
   */
  PeerCluster(NodeSettings settings, PeerTransport transport, Scheduler timer) {
    this.settings = settings;
    this.transport = transport;
    this.timer = timer;
    this.config = settings.cluster();
    this.timing = config.timing();
    this.maxFrameBytes = settings.mqtt().limits().maxPacketSize() + FRAME_HEADROOM;
    Set<String> peerIds =
        config.peers().stream().map(PeerAddress::id).collect(Collectors.toSet());
    this.handshake =
        new Handshake(config.name(), settings.nodeId(), peerIds, config.secret());
    this.links = new OutboundLinks(timing.deadAfter().toNanos());
    this.localRoutes = new LocalRoutes(links);
  }

  /**
   * Keeps the forwards peers have not acknowledged in {@code journal}, and which forwards of
   * peers this node has taken in {@code seen} (durable mode), rather than only on the heap; call
   * before the broker starts.
   */
  public void keepForwardsIn(ForwardJournal journal, SeenForwards seen) {
    if (server != null) {
      throw new IllegalStateException("the cluster is already running");
    }
    this.journal = journal;
    this.seen = seen;
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
  public void start(LocalNode node) {
    claims = new ClaimBook(node, links, timer, timing.claimTimeout(), timing.handOverTimeout());
    HandOvers handOvers = new HandOvers(timer, timing.handOverTimeout());
    StartupRoutes startup =
        new StartupRoutes(config.peers().stream().map(PeerAddress::id).toList());
    remoteRoutes = new RemoteRoutes(node, startup);
    inbound = new InboundStreams(links, remoteRoutes, handOvers, node, timer, timing.deadAfter(),
        seen, config.peers().stream().map(PeerAddress::id).toList());
    long silenceNanos = timing.keepAliveInterval().plus(timing.keepAliveTimeout()).toNanos();
    InboundLink.Context context =
        new InboundLink.Context(
            handshake, inbound, remoteRoutes, claims, handOvers, node, links, timer,
            silenceNanos);
    try {
      ServerBuilder<?> builder =
          transport.server(maxFrameBytes).addService(new PeerService(context));
      synchronized (this) {
        extraServices.forEach(builder::addService);
        server = builder.build().start();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot listen for peers on " + config.listen().host() + ":" + config.listen().port(),
          e);
    }
    timer.scheduleRepeating(links::releaseDeadLinks, 1, TimeUnit.SECONDS);
    LinkEvents events = new LinkEvents(node, localRoutes, claims, startup);
    for (PeerAddress p : config.peers()) {
      links.add(
          new OutboundLink(
              p,
              transport.channel(p, maxFrameBytes),
              handshake,
              events,
              timer,
              timing,
              config.maxLinkBacklog(),
              journal));
    }
    restoreForwards();
    links.all().forEach(OutboundLink::start);
    started = links.all().toArray(new OutboundLink[0]);
    // Looked at every second, so that a window checked after a quiet spell finds the cluster
    // whole since about when it became so.
    timer.scheduleRepeating(this::lookWhole, 1, TimeUnit.SECONDS);
    awaitRoutes(startup);
  }

  /**
   * Waits until every peer has sent its routes or proved unreachable (see {@link
   * StartupRoutes}), at most one keep-alive interval past the links' silence timeout: a peer
   * that accepts the dial but never answers (frozen) is given up on by then.
   */
  private void awaitRoutes(StartupRoutes startup) {
    Duration bound = timing.keepAliveInterval().multipliedBy(2).plus(timing.keepAliveTimeout());
    long started = System.nanoTime();
    try {
      List<String> silent = startup.await(bound);
      long millis = (System.nanoTime() - started) / 1_000_000;
      if (silent.isEmpty()) {
        LOG.info("routes of every reachable peer in {} ms", millis);
      } else {
        LOG.warn("no routes from {} within {} ms: they come when the links do", silent, millis);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Gives each link the forwards the journal held for its peer when the node stopped. Those for
   * a peer no longer configured are released, and logged: nothing would ever send them.
   */
  private void restoreForwards() {
    Map<String, List<Long>> dropped = new TreeMap<>();
    int[] restored = new int[1];
    journal.load((peerId, seq, forward) -> {
      OutboundLink l = links.get(peerId);
      if (l == null) {
        dropped.computeIfAbsent(peerId, p -> new ArrayList<>()).add(seq);
        return;
      }
      try {
        l.restore(seq, forward);
        restored[0]++;
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("the store's forward " + seq + " to " + peerId
            + " is damaged (" + e.getMessage() + "); left as it is", e);
      }
    });
    dropped.forEach((peerId, seqs) -> {
      LOG.warn("{} forwards kept for {}, which is no longer a peer, are dropped", seqs.size(),
          peerId);
      journal.release(peerId, seqs);
    });
    if (restored[0] > 0) {
      LOG.info("{} forwards peers had not acknowledged are back from the store", restored[0]);
    }
  }

  /**
   * Says Goodbye on every link and ends it, then closes the listener, and only then has the links
   * take nothing more: a peer's frame taken until the listener closes may redirect to a session's
   * new node, and the link there keeps that (in its journal, in durable mode) for the next start.
   */
  @Override
  public void stop() {
    endLinks();
    if (server != null) {
      server.shutdownNow();
      try {
        server.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    closeLinks();
    timer.shutdown();
  }

  /** The first step of {@link #stop}: Goodbye on every link, and its stream ended. */
  void endLinks() {
    links.all().forEach(OutboundLink::stop);
  }

  /** The step of {@link #stop} after the listener closed: the links take nothing more. */
  void closeLinks() {
    links.close();
  }

  @Override
  public void subscriptionAdded(String filter) {
    localRoutes.added(filter);
  }

  @Override
  public void subscriptionRemoved(String filter) {
    localRoutes.removed(filter);
  }

  @Override
  public Backpressure forward(
      Message message, List<ForwardCopy> copies, DeliveryReceipt receipt) {
    // Converted once here, on the publisher's event loop, whatever number of nodes get it.
    AppMessage proto = CoreProtos.toProto(message);
    Backpressure pressure = null;
    for (ForwardCopy copy : copies) {
      OutboundLink l = links.get(copy.nodeId());
      if (l != null && l.forward(proto, copy.direct(), copy.shared(), copy.hops(), receipt)) {
        pressure = l;
      }
    }
    return pressure;
  }

  @Override
  public boolean redirect(
      String nodeId,
      String clientId,
      Delivery delivery,
      int hops,
      long lineage,
      DeliveryReceipt receipt) {
    OutboundLink l = links.get(nodeId);
    if (l == null) {
      if (receipt != null) {
        receipt.expect();
        receipt.lost();
      }
      return false;
    }
    return l.redirect(clientId, CoreProtos.toProto(delivery).build(), hops, lineage, receipt);
  }

  @Override
  public boolean canReach(String nodeId) {
    OutboundLink l = links.get(nodeId);
    return l != null && l.state() == OutboundLink.State.UP && inbound.isUp(nodeId);
  }

  @Override
  public void retainedChanged(String topic, Message message, RetainedStamp stamp) {
    links.sendToAll(ProtoConvert.retainedFrame(topic, message, stamp, false));
  }

  @Override
  public CompletableFuture<ClaimResult> claim(
      String clientId, boolean cleanStart, boolean keepsSession) {
    return claims.claim(clientId, cleanStart, keepsSession);
  }

  /**
   * Measured from the timer's first look that found every peer back ({@link #lookWhole}), or
   * later: a look cannot tell when a peer finished re-sending, only that it has. A peer that went
   * away and came back since that look is caught by when its link or stream last came up. Writes
   * nothing and takes no lock: sessions on every event loop read it.
   */
  @Override
  public long wholeForMillis() {
    long since = wholeSeenNanos;
    long cameBack = lastCameBackNanos();
    if (cameBack == AWAY) {
      return NOT_WHOLE;
    }
    if (since == NOT_SEEN_WHOLE) {
      return 0; // whole now, but since when is the timer's next look to say
    }
    long from = cameBack != NO_PEERS && cameBack - since > 0 ? cameBack : since;
    return TimeUnit.NANOSECONDS.toMillis(timer.nanoTime() - from);
  }

  /** The timer's look: whether the cluster is whole now, and since when it was first seen so. */
  private void lookWhole() {
    long cameBack = lastCameBackNanos();
    if (cameBack == AWAY) {
      wholeSeenNanos = NOT_SEEN_WHOLE;
    } else if (wholeSeenNanos == NOT_SEEN_WHOLE
        || (cameBack != NO_PEERS && cameBack - wholeSeenNanos > 0)) {
      wholeSeenNanos = timer.nanoTime();
    }
  }

  /**
   * When the last of the peers' links and streams came up, if every peer is linked both ways and
   * has re-sent what it held; {@link #AWAY} if one is not (or the links have not started), {@link
   * #NO_PEERS} if there is none.
   */
  private long lastCameBackNanos() {
    OutboundLink[] all = started;
    if (all == null) {
      return AWAY;
    }
    long last = NO_PEERS;
    for (OutboundLink l : all) {
      String peerId = l.peerId();
      if (l.state() != OutboundLink.State.UP || !inbound.isUp(peerId)
          || !inbound.settled(peerId)) {
        return AWAY;
      }
      last = latest(latest(last, l.upSinceNanos()), inbound.upSinceNanos(peerId));
    }
    return last;
  }

  private static long latest(long a, long b) {
    return a == NO_PEERS || b - a > 0 ? b : a;
  }

  // ---- status ----

  /** The bound peer listener address (the real port when 0 was configured); TCP links only. */
  public InetSocketAddress listenAddress() {
    return (InetSocketAddress) server.getListenSockets().get(0);
  }

  /**
   * Per peer: "UP" when both streams (ours to it and its to us) are open, else "CONNECTING" or
   * "DOWN" for our stream, or "HALF" when only ours is up.
   */
  public Map<String, String> linkStates() {
    Map<String, String> states = new LinkedHashMap<>();
    for (OutboundLink l : links.all()) {
      states.put(l.peerId(), linkState(l));
    }
    return states;
  }

  /** One entry of {@link #linkStates}. */
  private String linkState(OutboundLink l) {
    OutboundLink.State s = l.state();
    return s != OutboundLink.State.UP ? s.name() : inbound.isUp(l.peerId()) ? "UP" : "HALF";
  }

  /** Per peer link: state and forward counters, for status and metrics. */
  public List<PeerLinkStats> linkStats() {
    List<PeerLinkStats> stats = new ArrayList<>();
    for (OutboundLink l : links.all()) {
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
          l.resyncs.sum(),
          remoteRoutes.count(l.peerId()),
          inbound.counts(l.peerId()).duplicates.sum(),
          inbound.counts(l.peerId()).unrecorded.sum(),
          inbound.counts(l.peerId()).untrackedIncarnations.sum()));
    }
    return stats;
  }

  public boolean allLinksUp() {
    return linkStates().values().stream().allMatch("UP"::equals);
  }

  /**
   * Whether a peer is down but may be alive (not declared dead, no Goodbye heard): a claim now
   * cannot end in a fresh session. For tests, which must not race the Goodbye: it comes on the
   * peer's stream into this node, its end on this node's stream out.
   */
  boolean hasSuspectPeers() {
    return links.hasSuspectPeers();
  }

  public long incarnation() {
    return handshake.incarnation();
  }

  /**
   * Whether every link that is up to a peer {@code reachable} accepts had the heartbeat of its
   * last keep-alive round answered; for tests that move time by hand.
   */
  boolean heartbeatsAnswered(Predicate<String> reachable) {
    for (OutboundLink l : links.all()) {
      if (l.state() == OutboundLink.State.UP && reachable.test(l.peerId())
          && !l.heartbeatAnswered()) {
        return false;
      }
    }
    return true;
  }

  /** This node's Hello and its checks of peers', for tests of the handshake. */
  Handshake handshake() {
    return handshake;
  }
}

package io.simqtt.peer;

import io.simqtt.core.cluster.LocalNode;
import io.simqtt.core.cluster.SeenForwards;
import io.simqtt.proto.peer.EarlierForwards;
import io.simqtt.proto.peer.Hello;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The peers' streams into this node: which peer is linked to us, since when one is not, which
 * forwards of each peer were seen and handled already (what was seen kept in {@link
 * SeenForwards} across this node's restarts), and what a stream's end does to the peer's routes
 * (shared ones withdrawn at once, the rest once it stays away for {@code cluster.dead-after}).
 *
 * <p>What was seen is kept per incarnation of the peer: its current one, and the earlier ones
 * whose journaled forwards it still re-sends (its Hello names them), at most {@link
 * #MAX_EARLIER} of those; the record of any other is deleted when a stream from the peer comes
 * up. So a forward the peer re-sends from its journal after its own restart is dropped if this
 * node took it before, and an earlier incarnation's record goes once the peer's journal holds
 * nothing of it any more, durably.
 */
final class InboundStreams {
  private static final Logger LOG = LoggerFactory.getLogger(InboundStreams.class);
  private static final String SHARE_PREFIX = "$share/";
  /** Earlier incarnations of one peer whose records are kept; the oldest beyond are counted. */
  static final int MAX_EARLIER = 16;

  private final OutboundLinks links;
  private final RemoteRoutes routes;
  private final HandOvers handOvers;
  private final LocalNode node;
  private final Scheduler timer;
  private final Duration deadAfter;
  private final SeenForwards seenStore;
  /** Per peer: what the store kept of its forwards at start, until its stream comes up. */
  private final Map<String, List<SeenForwards.Seen>> loadedSeen = new ConcurrentHashMap<>();
  private final Map<String, PeerForwards.Counts> counts = new ConcurrentHashMap<>();
  private final Map<String, InboundLink> inbound = new ConcurrentHashMap<>();
  /** Per peer whose stream into this node is gone: since when ({@link Scheduler#nanoTime}). */
  private final Map<String, Long> downSince = new ConcurrentHashMap<>();
  /** Per peer whose stream into this node is up: since when ({@link Scheduler#nanoTime}). */
  private final Map<String, Long> upSince = new ConcurrentHashMap<>();
  /** The same moments as stamps of the node's clock, which session claims are stamped by. */
  private final Map<String, Long> apartSince = new ConcurrentHashMap<>();
  /** Per peer: the incarnations whose forwards are kept track of (see the class comment). */
  private final Map<String, Map<Long, PeerForwards>> forwards = new ConcurrentHashMap<>();
  /** Per peer: its incarnation at its last stream. */
  private final Map<String, Long> incarnations = new ConcurrentHashMap<>();
  /** Per peer: the withdrawal of its ordinary routes, due when its link stays down. */
  private final Map<String, Scheduler.Cancellable> routeWithdrawals = new ConcurrentHashMap<>();

  InboundStreams(
      OutboundLinks links,
      RemoteRoutes routes,
      HandOvers handOvers,
      LocalNode node,
      Scheduler timer,
      Duration deadAfter,
      SeenForwards seenStore,
      Collection<String> peerIds) {
    this.links = links;
    this.routes = routes;
    this.handOvers = handOvers;
    this.node = node;
    this.timer = timer;
    this.deadAfter = deadAfter;
    this.seenStore = seenStore;
    for (String peerId : peerIds) {
      counts.put(peerId, new PeerForwards.Counts());
    }
    loadSeen();
  }

  /**
   * Takes what the store kept of the peers' forwards, for their streams to come. A peer no longer
   * configured has its record deleted.
   */
  private void loadSeen() {
    for (SeenForwards.Seen s : seenStore.load()) {
      if (counts.containsKey(s.peerId())) {
        loadedSeen.computeIfAbsent(s.peerId(), p -> new ArrayList<>()).add(s);
      } else {
        LOG.warn("forwards seen from {}, no longer a peer, are deleted", s.peerId());
        seenStore.forget(s.peerId(), s.incarnation());
      }
    }
    if (!loadedSeen.isEmpty()) {
      LOG.info("forwards seen from {} are back from the store", loadedSeen.keySet());
    }
  }

  /** What the peer's forwards into this node met, across its incarnations. */
  PeerForwards.Counts counts(String peerId) {
    return counts.get(peerId);
  }

  /** Whether the peer's stream into this node is up. */
  boolean isUp(String peerId) {
    return inbound.containsKey(peerId);
  }

  /** When the peer's stream into this node came up ({@link Scheduler#nanoTime}); 0 if it is not. */
  long upSinceNanos(String peerId) {
    Long since = upSince.get(peerId);
    return since == null ? 0 : since;
  }

  /**
   * Whether nothing the peer sent before now can still be on its way here: its stream is up and
   * has handled what its Hello said it re-sends, or it has been away longer than dead-after.
   */
  boolean settled(String peerId) {
    InboundLink in = inbound.get(peerId);
    if (in != null) {
      return in.caughtUp();
    }
    Long since = downSince.get(peerId);
    return since != null && timer.nanoTime() - since >= deadAfter.toNanos();
  }

  /**
   * The peer's stream {@code link} is up (its {@code hello} accepted): it replaces an older one.
   * Returns the forwards of the peer's incarnations that the stream delivers and acknowledges.
   */
  StreamForwards up(Hello hello, InboundLink link) {
    String peerId = hello.getNodeId();
    Scheduler.Cancellable withdrawal = routeWithdrawals.remove(peerId);
    if (withdrawal != null) {
      withdrawal.cancel();
    }
    links.get(peerId).peerIsListening();
    downSince.remove(peerId);
    upSince.put(peerId, timer.nanoTime());
    // Before the first frame of the stream is handled: the peer's copies arrive on it.
    Long apart = apartSince.remove(peerId);
    node.expectRedirectsSince(apart == null ? 0 : apart);
    InboundLink previous = inbound.put(peerId, link);
    if (previous != null && previous != link) {
      previous.close();
    }
    return track(peerId, hello, link);
  }

  /**
   * Keeps the records of the incarnations {@code hello} names (its own and the earlier ones it
   * re-sends from), loaded from the store or made fresh, deletes every other, and has them
   * acknowledge on {@code link}.
   */
  private synchronized StreamForwards track(String peerId, Hello hello, InboundLink link) {
    long incarnation = hello.getIncarnation();
    Long was = incarnations.put(peerId, incarnation);
    if (was != null && was != incarnation) {
      LOG.info("peer {} restarted: its old routes are replaced", peerId);
    }
    Map<Long, Long> earlierThrough = new HashMap<>();
    for (EarlierForwards e : hello.getEarlierList()) {
      earlierThrough.put(e.getIncarnation(), e.getResendThrough());
    }
    Set<Long> keep = new HashSet<>();
    keep.add(incarnation);
    // The most recent ones: a peer numbers on across its restarts.
    earlierThrough.entrySet().stream()
        .sorted(Map.Entry.<Long, Long>comparingByValue().reversed())
        .limit(MAX_EARLIER)
        .forEach(e -> keep.add(e.getKey()));
    Map<Long, PeerForwards> known = forwards.computeIfAbsent(peerId, p -> new HashMap<>());
    for (Iterator<PeerForwards> it = known.values().iterator(); it.hasNext(); ) {
      PeerForwards f = it.next();
      if (!keep.contains(f.incarnation())) {
        // What it finishes is acknowledged to nobody: the peer holds nothing of it any more.
        f.ackOn(null);
        f.retire();
        seenStore.forget(peerId, f.incarnation());
        it.remove();
      }
    }
    for (SeenForwards.Seen s : loadedSeen.getOrDefault(peerId, List.of())) {
      if (keep.contains(s.incarnation())) {
        known.putIfAbsent(s.incarnation(), new PeerForwards(
            peerId, s.incarnation(), timer, seenStore, s, counts.get(peerId)));
      } else {
        seenStore.forget(peerId, s.incarnation());
      }
    }
    loadedSeen.remove(peerId);
    for (long i : keep) {
      PeerForwards f = known.computeIfAbsent(i, n -> new PeerForwards(
          peerId, n, timer, seenStore, null, counts.get(peerId)));
      f.ackOn(seq -> link.sendAck(i, seq));
    }
    Map<Long, PeerForwards> kept = new HashMap<>(known);
    kept.remove(incarnation);
    return new StreamForwards(known.get(incarnation), hello.getResendThrough(), kept,
        earlierThrough, i -> untracked(peerId, i, link));
  }

  /**
   * The record of an incarnation of the peer that this node does not keep, for one stream: it
   * records nothing and acknowledges on {@code link}. Counted.
   */
  private PeerForwards untracked(String peerId, long incarnation, InboundLink link) {
    PeerForwards.Counts c = counts.get(peerId);
    c.untrackedIncarnations.increment();
    PeerForwards f = new PeerForwards(peerId, incarnation, timer, SeenForwards.MEMORY, null, c);
    f.ackOn(seq -> link.sendAck(incarnation, seq));
    return f;
  }

  void down(String peerId, InboundLink link) {
    handOvers.linkLost(link);
    if (peerId == null || !inbound.remove(peerId, link)) {
      return;
    }
    synchronized (this) {
      forwards.getOrDefault(peerId, Map.of()).values().forEach(f -> f.ackOn(null));
    }
    downSince.put(peerId, timer.nanoTime());
    upSince.remove(peerId);
    apartSince.put(peerId, node.clock().now());
    // Shared groups must stop choosing this node at once. Its ordinary routes stay for a while,
    // so QoS 1/2 forwards wait for it (bounded) instead of being lost in a short link flap.
    routes.withdraw(peerId, f -> f.startsWith(SHARE_PREFIX));
    routeWithdrawals.put(
        peerId,
        timer.schedule(
            () -> {
              if (!inbound.containsKey(peerId)) {
                LOG.info("peer {} down for {}: its routes are withdrawn", peerId, deadAfter);
                routes.withdraw(peerId, f -> true);
                links.get(peerId).stopHoldingPublishers();
              }
            },
            deadAfter.toMillis(),
            TimeUnit.MILLISECONDS));
  }

}

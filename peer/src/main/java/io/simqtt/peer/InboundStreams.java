package io.simqtt.peer;

import io.simqtt.core.cluster.LocalNode;
import io.simqtt.core.cluster.SeenForwards;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The peers' streams into this node: which peer is linked to us, since when one is not, which
 * forwards of each peer were seen and handled already (what was seen kept in {@link
 * SeenForwards} across this node's restarts: one incarnation per peer, an older one's record
 * deleted when the peer comes back as a new one), and what a stream's end does to the peer's
 * routes (shared ones withdrawn at once, the rest once it stays away for {@code
 * cluster.dead-after}).
 */
final class InboundStreams {
  private static final Logger LOG = LoggerFactory.getLogger(InboundStreams.class);
  private static final String SHARE_PREFIX = "$share/";

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
  /** The same moments as stamps of the node's clock, which session claims are stamped by. */
  private final Map<String, Long> apartSince = new ConcurrentHashMap<>();
  /** Per peer: its current incarnation's forwards, seen and handled. */
  private final Map<String, PeerForwards> forwards = new ConcurrentHashMap<>();
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
   * The peer's stream {@code link} is up (its Hello accepted): it replaces an older one. Returns
   * the forwards of the peer's incarnation, which the stream delivers and acknowledges.
   */
  PeerForwards up(String peerId, long peerIncarnation, InboundLink link) {
    Scheduler.Cancellable withdrawal = routeWithdrawals.remove(peerId);
    if (withdrawal != null) {
      withdrawal.cancel();
    }
    links.get(peerId).peerIsListening();
    downSince.remove(peerId);
    // Before the first frame of the stream is handled: the peer's copies arrive on it.
    Long apart = apartSince.remove(peerId);
    node.expectRedirectsSince(apart == null ? 0 : apart);
    InboundLink previous = inbound.put(peerId, link);
    if (previous != null && previous != link) {
      previous.close();
    }
    PeerForwards f = forwards.get(peerId);
    if (f == null || f.incarnation() != peerIncarnation) {
      if (f != null) {
        LOG.info("peer {} restarted: its old routes are replaced", peerId);
        // What the old incarnation's forwards finish is acknowledged to nobody: it is gone.
        f.ackOn(null);
        f.retire();
        seenStore.forget(peerId, f.incarnation());
      }
      SeenForwards.Seen loaded = null;
      for (SeenForwards.Seen s : loadedSeen.getOrDefault(peerId, List.of())) {
        if (s.incarnation() == peerIncarnation) {
          loaded = s;
        } else {
          seenStore.forget(peerId, s.incarnation());
        }
      }
      loadedSeen.remove(peerId);
      f = new PeerForwards(
          peerId, peerIncarnation, timer, seenStore, loaded, counts.get(peerId));
      forwards.put(peerId, f);
    }
    f.ackOn(link::sendAck);
    return f;
  }

  void down(String peerId, InboundLink link) {
    handOvers.linkLost(link);
    if (peerId == null || !inbound.remove(peerId, link)) {
      return;
    }
    PeerForwards gone = forwards.get(peerId);
    if (gone != null) {
      gone.ackOn(null);
    }
    downSince.put(peerId, timer.nanoTime());
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

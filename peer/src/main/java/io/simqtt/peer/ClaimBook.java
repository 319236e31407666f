package io.simqtt.peer;

import io.simqtt.core.cluster.ClaimResult;
import io.simqtt.core.cluster.HybridClock;
import io.simqtt.core.session.SessionSnapshot;
import io.simqtt.proto.peer.ClaimReply;
import io.simqtt.proto.peer.PeerFrame;
import io.simqtt.proto.peer.SessionClaim;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Session claims: a client connecting here is announced to every linked peer, and whoever held it
 * hands the session over. Concurrent connects for one client id on two nodes are ordered by
 * (hybrid clock, node id): the higher claim wins on both nodes, the lower one is refused, so
 * exactly one connection survives.
 */
final class ClaimBook {
  private static final Logger LOG = LoggerFactory.getLogger(ClaimBook.class);
  /** Peers that have not answered by then are passed over. */
  static final long ANSWER_TIMEOUT_MILLIS = 3_000;
  /**
   * A finished local claim is remembered until its connection is attached, and at most this
   * long (a connection that never attaches must not hold claims back for ever).
   */
  private static final long SETTLE_MILLIS = 5_000;

  private final PeerCluster cluster;
  private final HybridClock clock;
  private final ScheduledExecutorService timer;
  // Guarded by this:
  private final Map<String, LocalClaim> byClient = new HashMap<>();
  private final Map<Long, LocalClaim> byId = new HashMap<>();
  private long nextId = 1;

  ClaimBook(PeerCluster cluster, HybridClock clock, ScheduledExecutorService timer) {
    this.cluster = cluster;
    this.clock = clock;
    this.timer = timer;
  }

  private static final class LocalClaim {
    final long id;
    final String clientId;
    final long hlc;
    final Set<String> awaiting;
    final CompletableFuture<ClaimResult> result = new CompletableFuture<>();
    SessionSnapshot state;
    boolean refused;
    boolean done;
    /** The connection is attached: a remote claim can take it over like any session. */
    boolean attached;
    /** Hand-overs asked for by peers while this claim was done but not yet attached. */
    final List<Runnable> afterAttach = new ArrayList<>(0);

    LocalClaim(long id, String clientId, long hlc, Set<String> awaiting) {
      this.id = id;
      this.clientId = clientId;
      this.hlc = hlc;
      this.awaiting = awaiting;
    }
  }

  CompletableFuture<ClaimResult> claim(String clientId, boolean cleanStart) {
    List<PeerLink> up = cluster.upLinks();
    LocalClaim c;
    synchronized (this) {
      c = new LocalClaim(nextId++, clientId, clock.now(), new HashSet<>());
      for (PeerLink l : up) {
        c.awaiting.add(l.peerId());
      }
      LocalClaim previous = byClient.put(clientId, c);
      if (previous != null && !previous.done) {
        // A second connect here for the same client: the newer one goes on.
        previous.refused = true;
        finish(previous);
      }
      byId.put(c.id, c);
      if (c.awaiting.isEmpty()) {
        finish(c);
      }
    }
    PeerFrame frame =
        PeerFrame.newBuilder()
            .setClaim(
                SessionClaim.newBuilder()
                    .setClaimId(c.id)
                    .setClientId(clientId)
                    .setCleanStart(cleanStart)
                    .setHlc(c.hlc))
            .build();
    for (PeerLink l : up) {
      l.sendControl(frame);
    }
    LocalClaim claim = c;
    timer.schedule(() -> timeOut(claim), ANSWER_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    return c.result;
  }

  synchronized void onReply(String peerId, ClaimReply reply) {
    LocalClaim c = byId.get(reply.getClaimId());
    if (c == null || c.done) {
      return;
    }
    switch (reply.getOutcome()) {
      case REFUSED -> c.refused = true;
      case HANDED_OVER -> {
        if (reply.hasState()) {
          c.state = ProtoConvert.fromProto(reply.getState());
        }
      }
      default -> {}
    }
    c.awaiting.remove(peerId);
    if (c.awaiting.isEmpty()) {
      finish(c);
    }
  }

  /** A link went down: its peer will not answer the claims still waiting for it. */
  synchronized void onLinkDown(String peerId) {
    for (LocalClaim c : List.copyOf(byId.values())) {
      if (c.awaiting.remove(peerId) && c.awaiting.isEmpty()) {
        finish(c);
      }
    }
  }

  /** A peer announces a connect for {@code claim.clientId}: refuse it or hand the session over. */
  CompletableFuture<ClaimReply> onRemoteClaim(String peerId, SessionClaim claim) {
    clock.observe(claim.getHlc());
    CompletableFuture<ClaimReply> answer = new CompletableFuture<>();
    Runnable handOver =
        () ->
            cluster
                .node()
                .handOver(claim.getClientId(), claim.getCleanStart())
                .thenAccept(
                    state ->
                        answer.complete(
                            state == null
                                ? reply(claim, ClaimReply.Outcome.NONE, null)
                                : reply(claim, ClaimReply.Outcome.HANDED_OVER, state)));
    synchronized (this) {
      LocalClaim local = byClient.get(claim.getClientId());
      if (local != null && !local.refused && wins(local, peerId, claim)) {
        return CompletableFuture.completedFuture(reply(claim, ClaimReply.Outcome.REFUSED, null));
      }
      if (local != null && !local.done) {
        local.refused = true;
        finish(local);
      } else if (local != null && !local.refused && !local.attached) {
        // Our connect won its claim but is not attached yet: take it over once it is.
        local.afterAttach.add(handOver);
        return answer;
      }
    }
    handOver.run();
    return answer;
  }

  /** Whether our claim orders after theirs: higher clock, then higher node id. */
  private boolean wins(LocalClaim local, String peerId, SessionClaim theirs) {
    if (local.hlc != theirs.getHlc()) {
      return local.hlc > theirs.getHlc();
    }
    return cluster.nodeId().compareTo(peerId) > 0;
  }

  private static ClaimReply reply(
      SessionClaim claim, ClaimReply.Outcome outcome, SessionSnapshot state) {
    ClaimReply.Builder b = ClaimReply.newBuilder().setClaimId(claim.getClaimId()).setOutcome(outcome);
    if (state != null) {
      b.setState(ProtoConvert.toProto(state));
    }
    return b.build();
  }

  private synchronized void timeOut(LocalClaim c) {
    if (!c.done) {
      LOG.warn("claim for client {} unanswered by {}; going on", c.clientId, c.awaiting);
      finish(c);
    }
  }

  /** Completes a claim; called with the lock held. */
  private void finish(LocalClaim c) {
    if (c.done) {
      return;
    }
    c.done = true;
    byId.remove(c.id);
    ClaimResult result;
    if (c.refused) {
      result = new ClaimResult(ClaimResult.Outcome.REFUSED, null);
    } else {
      result =
          new ClaimResult(
              c.state != null ? ClaimResult.Outcome.HANDED_OVER : ClaimResult.Outcome.NONE,
              c.state,
              () -> attached(c));
    }
    timer.schedule(() -> forget(c), SETTLE_MILLIS, TimeUnit.MILLISECONDS);
    // Safe under the lock: the broker's callback only hops to the connection's event loop.
    c.result.complete(result);
  }

  /** The connection of a local claim is attached; hand-overs waiting for it go ahead. */
  private void attached(LocalClaim c) {
    List<Runnable> waiting;
    synchronized (this) {
      c.attached = true;
      waiting = List.copyOf(c.afterAttach);
      c.afterAttach.clear();
    }
    waiting.forEach(Runnable::run);
  }

  private void forget(LocalClaim c) {
    synchronized (this) {
      byClient.remove(c.clientId, c);
    }
    attached(c);
  }
}

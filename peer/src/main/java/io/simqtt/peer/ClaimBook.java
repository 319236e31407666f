package io.simqtt.peer;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.simqtt.core.cluster.ClaimResult;
import io.simqtt.core.cluster.HybridClock;
import io.simqtt.core.cluster.LocalNode;
import io.simqtt.core.session.HandOver;
import io.simqtt.core.session.SessionImport;
import io.simqtt.core.session.SessionSnapshot;
import io.simqtt.proto.peer.ClaimReply;
import io.simqtt.proto.peer.ClaimSettled;
import io.simqtt.proto.peer.PeerFrame;
import io.simqtt.proto.peer.SessionClaim;
import io.simqtt.proto.peer.SessionState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Session claims, the claiming side: a client connecting here is announced to every linked peer,
 * and whoever holds its session sends the state (in parts) and keeps it frozen until this node
 * settles the claim: installed once the connection is attached, not installed when the connect
 * was refused. Concurrent connects for one client id on two nodes are ordered by (hybrid clock,
 * node id): the higher claim wins on both nodes and the lower one is refused, and state a refused
 * claim received goes back to its holder.
 */
final class ClaimBook {
  private static final Logger LOG = LoggerFactory.getLogger(ClaimBook.class);
  /**
   * A finished local claim is remembered until its connection is attached, and at most this
   * long (a connection that never attaches must not hold claims back for ever).
   */
  private static final long SETTLE_MILLIS = 5_000;

  private final String nodeId;
  private final LocalNode node;
  private final LinkDirectory links;
  private final HybridClock clock;
  private final Scheduler timer;
  private final long answerTimeoutMillis;
  /**
   * How long a claim waits for the next part of a state arriving in parts: well inside the
   * holder's own timeout, which runs from its last part sent, so a stalled transfer is given up
   * here first.
   */
  private final long transferGraceNanos;
  // Guarded by this:
  private final Map<String, LocalClaim> byClient = new HashMap<>();
  private final Map<Long, LocalClaim> byId = new HashMap<>();
  private long nextId = 1;

  ClaimBook(
      LocalNode node,
      LinkDirectory links,
      Scheduler timer,
      Duration answerTimeout,
      Duration handOverTimeout) {
    this.nodeId = node.nodeId();
    this.node = node;
    this.links = links;
    this.clock = node.clock();
    this.timer = timer;
    this.answerTimeoutMillis = answerTimeout.toMillis();
    this.transferGraceNanos = handOverTimeout.toNanos() / 2;
  }

  private static final class LocalClaim {
    final long id;
    final String clientId;
    final boolean cleanStart;
    /** The connection keeps its session (expiry above 0): a large state may go to the store. */
    final boolean keepsSession;
    final long hlc;
    final Set<String> awaiting;
    final CompletableFuture<ClaimResult> result = new CompletableFuture<>();
    /**
     * The state arriving in parts; from one holder only: a second holder (a healed partition)
     * is answered "not installed" once its last part is in, and its parts are ignored.
     */
    Transfer transfer;
    /**
     * Every peer that sent a part: a transfer starts only with a peer's first part, never in the
     * middle of a stream whose beginning was ignored (its first message is the state's head).
     */
    final Set<String> sending = new HashSet<>(2);
    /** When the last part of {@link #transfer} came. */
    long lastPartNanos;
    SessionSnapshot state;
    /** Where {@link #state}'s queued messages beyond its heap part went. */
    SessionImport imported;
    /** The peer that sent {@link #state} and waits for this claim to be settled. */
    String holder;
    boolean refused;
    boolean done;
    /**
     * The client wants its session back (Clean Start 0) while a peer that may hold it is down
     * but not declared dead: without a holder among the answers, no fresh session.
     */
    boolean holderMayBeDown;
    /** The connection is attached: a remote claim can take it over like any session. */
    boolean attached;
    /** Hand-overs asked for by peers while this claim was done but not yet attached. */
    final List<Runnable> afterAttach = new ArrayList<>(0);

    LocalClaim(long id, String clientId, boolean cleanStart, boolean keepsSession, long hlc,
        Set<String> awaiting) {
      this.id = id;
      this.clientId = clientId;
      this.cleanStart = cleanStart;
      this.keepsSession = keepsSession;
      this.hlc = hlc;
      this.awaiting = awaiting;
    }
  }

  /**
   * A state arriving from {@link #holder} as a series of messages (see {@code
   * ClaimReply.ends_message}): the parts of the message under way, the first message once in,
   * and where the queued messages of the later ones go ({@link SessionImport}). Its parts come in
   * order on one stream, so one thread at a time handles them.
   */
  private static final class Transfer {
    final String clientId;
    final String holder;
    final SessionImport incoming;
    ByteString message = ByteString.EMPTY;
    SessionSnapshot head;

    Transfer(String clientId, String holder, SessionImport incoming) {
      this.clientId = clientId;
      this.holder = holder;
      this.incoming = incoming;
    }
  }

  /** What this node answers a peer's claim: an outcome, and with HANDED_OVER the frozen session. */
  record Answer(ClaimReply.Outcome outcome, HandOver handOver) {
    static final Answer NONE = new Answer(ClaimReply.Outcome.NONE, null);
    static final Answer REFUSED = new Answer(ClaimReply.Outcome.REFUSED, null);
  }

  CompletableFuture<ClaimResult> claim(String clientId, boolean cleanStart, boolean keepsSession) {
    List<String> up = links.upPeers();
    boolean holderMayBeDown = !cleanStart && links.hasSuspectPeers();
    LocalClaim c;
    synchronized (this) {
      c = new LocalClaim(
          nextId++, clientId, cleanStart, keepsSession, clock.now(), new HashSet<>());
      c.holderMayBeDown = holderMayBeDown;
      c.awaiting.addAll(up);
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
    // The deadline is armed before the claim goes out, so no answer (or a test moving time by
    // hand as soon as it sees the claim answered) can come before the claim has its deadline.
    LocalClaim claim = c;
    timer.schedule(() -> timeOut(claim), answerTimeoutMillis, TimeUnit.MILLISECONDS);
    c.result.whenComplete((r, e) -> {
      if (claim.result.isCancelled()) {
        givenUp(claim);
      }
    });
    for (String peerId : up) {
      links.send(peerId, frame);
    }
    return c.result;
  }

  void onReply(String peerId, ClaimReply reply) {
    if (reply.getOutcome() == ClaimReply.Outcome.HANDED_OVER) {
      onStatePart(peerId, reply);
      return;
    }
    synchronized (this) {
      LocalClaim c = byId.get(reply.getClaimId());
      if (c == null || c.done) {
        return;
      }
      if (reply.getOutcome() == ClaimReply.Outcome.REFUSED) {
        c.refused = true;
      }
      answered(c, peerId);
    }
  }

  /** {@code peerId} has answered {@code c}; called with the lock held. */
  private void answered(LocalClaim c, String peerId) {
    c.awaiting.remove(peerId);
    // One holder's state is the session: other answers cannot add to it.
    if (c.awaiting.isEmpty() || c.state != null) {
      finish(c);
    }
  }

  /**
   * A part of the state a holder sends. Each message of the series is parsed as it ends, and its
   * queued messages stored, outside the lock: a full store writer makes this wait (the first
   * page also waits for a session of the client here to begin the import), and as the
   * link asks for replies only as it handles them (OutboundLink), gRPC flow control then slows
   * the holder down. The last part completes the state.
   */
  private void onStatePart(String peerId, ClaimReply reply) {
    Transfer t;
    ByteString message;
    synchronized (this) {
      LocalClaim c = byId.get(reply.getClaimId());
      if (c == null || c.done) {
        if (!reply.getMore()) {
          // State for a claim that is over (timed out, refused): its holder takes it back.
          returnState(peerId, reply.getClaimId());
        }
        return;
      }
      boolean first = c.sending.add(peerId);
      if (c.transfer == null && first && c.state == null) {
        c.transfer = new Transfer(c.clientId, peerId, node.importSession(c.clientId, c.keepsSession));
      } else if (c.transfer == null || !c.transfer.holder.equals(peerId)) {
        // Two nodes held the client (a partition that healed): the first is kept; the other
        // keeps its copy. So does one whose transfer was dropped (its link went down).
        if (!reply.getMore()) {
          settle(peerId, c, false);
          answered(c, peerId);
        }
        return;
      }
      t = c.transfer;
      c.lastPartNanos = timer.nanoTime();
      t.message = t.message.concat(reply.getStatePart());
      if (reply.getMore() && !reply.getEndsMessage()) {
        return;
      }
      message = t.message;
      t.message = ByteString.EMPTY;
    }
    try {
      SessionState part = SessionState.parseFrom(message);
      if (t.head == null) {
        t.head = ProtoConvert.fromProto(part);
      } else {
        t.incoming.add(ProtoConvert.queued(part));
      }
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      // Unreadable, or not taken (a store that failed): nothing of it may be installed, or the
      // next message would pass for the head, or a page would be missing.
      LOG.atError().addKeyValue("clientId", t.clientId).addKeyValue("peer", peerId)
          .addKeyValue("reason", "state_unreadable").setCause(e)
          .log("session state for {} from {} cannot be taken; it stays there",
              t.clientId, peerId);
      unreadable(reply.getClaimId(), t);
      return;
    }
    if (!reply.getMore()) {
      received(reply.getClaimId(), t);
    }
  }

  /** The last part of {@code t} is in: the claim has its state. */
  private synchronized void received(long claimId, Transfer t) {
    LocalClaim c = byId.get(claimId);
    if (c == null || c.done || c.transfer != t) {
      t.incoming.abandon();
      if (c == null || c.done) {
        returnState(t.holder, claimId);
      }
      return;
    }
    c.transfer = null;
    c.state = t.incoming.finish(t.head);
    c.imported = t.incoming;
    c.holder = t.holder;
    answered(c, t.holder);
  }

  /** A message of {@code t} could not be taken: the holder keeps the session. */
  private synchronized void unreadable(long claimId, Transfer t) {
    t.incoming.abandon();
    LocalClaim c = byId.get(claimId);
    if (c == null || c.done || c.transfer != t) {
      return;
    }
    c.transfer = null;
    settle(t.holder, c, false);
    c.refused = true;
    answered(c, t.holder);
  }

  /**
   * A link went down: its peer will not answer the claims still waiting for it. It may still be
   * alive (frozen, cut off) with the session, so those claims cannot end in a fresh session.
   */
  synchronized void onLinkDown(String peerId) {
    for (LocalClaim c : List.copyOf(byId.values())) {
      if (c.transfer != null && c.transfer.holder.equals(peerId)) {
        c.transfer.incoming.abandon();
        c.transfer = null;
      }
      if (c.awaiting.remove(peerId)) {
        c.holderMayBeDown |= !c.cleanStart;
        if (c.awaiting.isEmpty()) {
          finish(c);
        }
      }
    }
  }

  /**
   * A peer announces a connect for {@code claim.clientId}: refuse it (our own claim for the
   * client wins) or hand the session over.
   */
  CompletableFuture<Answer> onRemoteClaim(String peerId, SessionClaim claim) {
    clock.observe(claim.getHlc());
    long arrived = timer.nanoTime();
    CompletableFuture<Answer> answer = new CompletableFuture<>();
    Runnable handOver =
        () ->
            node
                .handOver(claim.getClientId(), claim.getCleanStart())
                .thenAccept(h -> answer.complete(answer(h, arrived)));
    synchronized (this) {
      LocalClaim local = byClient.get(claim.getClientId());
      if (local != null && !local.refused && wins(local, peerId, claim)) {
        return CompletableFuture.completedFuture(Answer.REFUSED);
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

  /**
   * The session, once it can go (it may have waited for an earlier hand-over to settle). Past the
   * claimer's own timeout nobody waits for it any more: it stays here rather than freezing for a
   * claim that is over.
   */
  private Answer answer(HandOver h, long arrivedNanos) {
    if (h == null) {
      return Answer.NONE;
    }
    if (timer.nanoTime() - arrivedNanos > TimeUnit.MILLISECONDS.toNanos(answerTimeoutMillis)) {
      h.abort();
      return Answer.NONE;
    }
    return new Answer(ClaimReply.Outcome.HANDED_OVER, h);
  }

  /** Whether our claim orders after theirs: higher clock, then higher node id. */
  private boolean wins(LocalClaim local, String peerId, SessionClaim theirs) {
    if (local.hlc != theirs.getHlc()) {
      return local.hlc > theirs.getHlc();
    }
    return nodeId.compareTo(peerId) > 0;
  }

  private synchronized void timeOut(LocalClaim c) {
    if (c.done) {
      return;
    }
    if (c.transfer != null) {
      // A large session is on its way: wait while its parts keep coming, but give up sooner
      // than its holder, which would resume the session while we install it.
      long quiet = timer.nanoTime() - c.lastPartNanos;
      if (quiet < transferGraceNanos) {
        timer.schedule(() -> timeOut(c), transferGraceNanos - quiet, TimeUnit.NANOSECONDS);
        return;
      }
    }
    LOG.atWarn().addKeyValue("clientId", c.clientId).addKeyValue("peer", c.awaiting)
        .addKeyValue("reason", "claim_timeout")
        .log("claim for client {} unanswered by {}", c.clientId, c.awaiting);
    finish(c);
  }

  /** Completes a claim; called with the lock held. */
  private void finish(LocalClaim c) {
    if (c.done) {
      return;
    }
    c.done = true;
    byId.remove(c.id);
    if (c.transfer != null) {
      // Still arriving: its holder stops sending and keeps the session (told again by the
      // returned state if its last part comes anyway; a second "not installed" is ignored).
      settle(c.transfer.holder, c, false);
      c.transfer.incoming.abandon();
      c.transfer = null;
    }
    ClaimResult result;
    if (c.refused) {
      if (c.holder != null) {
        settle(c.holder, c, false);
        c.imported.abandon();
      }
      result = ClaimResult.REFUSED;
    } else if (c.state != null) {
      result =
          new ClaimResult(
              ClaimResult.Outcome.HANDED_OVER,
              c.state,
              c.hlc,
              () -> attached(c),
              () -> refusedAfterAll(c));
    } else if (!c.awaiting.isEmpty() || c.holderMayBeDown) {
      // A silent or down peer may hold the session: a fresh one now could be a second copy.
      // This connect never attaches: other nodes' claims need not wait for it.
      c.refused = true;
      result = ClaimResult.UNAVAILABLE;
    } else {
      result =
          new ClaimResult(
              ClaimResult.Outcome.NONE, null, c.hlc, () -> attached(c), () -> refusedAfterAll(c));
    }
    timer.schedule(() -> forget(c), SETTLE_MILLIS, TimeUnit.MILLISECONDS);
    // Safe under the lock: the broker's callback only hops to the connection's event loop.
    c.result.complete(result);
  }

  /**
   * The broker gave the connect up before its claim was answered (its connect timeout): as a
   * refused claim, it ends now, a holder still sending state is told at once, and the claim holds
   * no other node's claim back. Its result may have been made just before (its completion lost
   * to the cancel): then as a connect refused after all.
   */
  private void givenUp(LocalClaim c) {
    synchronized (this) {
      if (!c.done) {
        c.refused = true;
        finish(c);
        return;
      }
    }
    refusedAfterAll(c);
  }

  /**
   * The connection of a local claim is attached with the state its holder sent: the holder may
   * let go, and hand-overs waiting for the attach go ahead.
   */
  private void attached(LocalClaim c) {
    String holder;
    synchronized (this) {
      if (c.attached) {
        return;
      }
      c.attached = true;
      holder = c.holder;
    }
    if (holder != null) {
      // The holder deletes its copy once told: in durable mode only after ours (written by the
      // attach, just before this) is durable, so a kill of this node right now loses nothing.
      node.afterDurable(() -> settle(holder, c, true));
    }
    releaseWaiting(c);
  }

  /**
   * The broker refused the connect of a claim that went through (its session cap): nothing will
   * attach, so hand-overs waiting for the attach go ahead now (they find no session here) instead
   * of when the claim is forgotten, and state a holder sent goes back to it.
   */
  private void refusedAfterAll(LocalClaim c) {
    synchronized (this) {
      if (c.attached || c.refused) {
        return;
      }
      c.refused = true;
      if (c.holder != null) {
        settle(c.holder, c, false);
        c.imported.abandon();
      }
    }
    releaseWaiting(c);
  }

  private void releaseWaiting(LocalClaim c) {
    List<Runnable> waiting;
    synchronized (this) {
      waiting = List.copyOf(c.afterAttach);
      c.afterAttach.clear();
    }
    waiting.forEach(Runnable::run);
  }

  /** Tells a holder whether the state it sent was installed here. */
  private void settle(String holder, LocalClaim c, boolean installed) {
    ClaimSettled.Builder settled =
        ClaimSettled.newBuilder()
            .setClaimId(c.id)
            .setInstalled(installed)
            .setClientId(c.clientId)
            .setHlc(c.hlc);
    // Kept for the link's return if it is down: a holder that never hears of an installed
    // session would keep a second copy of it.
    links.sendWhenUp(holder, PeerFrame.newBuilder().setClaimSettled(settled).build());
  }

  /** Answers state for a claim this node no longer has: its holder takes it back. */
  private void returnState(String holder, long claimId) {
    links.send(
        holder,
        PeerFrame.newBuilder()
            .setClaimSettled(ClaimSettled.newBuilder().setClaimId(claimId).setInstalled(false))
            .build());
  }

  /** A connection that never attached must not hold other nodes' claims back for ever. */
  private void forget(LocalClaim c) {
    synchronized (this) {
      byClient.remove(c.clientId, c);
    }
    releaseWaiting(c);
  }
}

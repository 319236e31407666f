package io.simqtt.peer;

import com.google.protobuf.ByteString;
import io.simqtt.core.cluster.LocalNode;
import io.simqtt.core.session.BacklogCursor;
import io.simqtt.core.session.Delivery;
import io.simqtt.core.session.HandOver;
import io.simqtt.proto.peer.ClaimReply;
import io.simqtt.proto.peer.ClaimSettled;
import io.simqtt.proto.peer.PeerReply;
import io.simqtt.proto.peer.SessionState;
import io.simqtt.store.CoreProtos;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The holder's side of a session hand-over: sends the frozen session's state to the claiming
 * peer, then waits for the peer's {@code ClaimSettled}. Installed: the session here becomes a
 * redirect to the peer. Not installed, no answer within the hand-over timeout, or the peer's
 * stream lost: the session resumes here with everything it held. Either way the session has an
 * owner at every moment; it is never deleted before the peer has it.
 *
 * <p>The state goes as a series of messages (see {@code ClaimReply.ends_message}): first what the
 * session held on the heap, then its queued messages that lie on disk only, a page at a time,
 * each page read only once the stream has taken the one before (gRPC flow control). So a session
 * with a million queued messages moves with a page of them in memory here, and the claimer
 * stores them as they come. The hand-over timeout runs from the last page sent: a slow but
 * moving transfer goes on, a stalled one (the peer frozen) is aborted.
 */
final class HandOvers {
  private static final Logger LOG = LoggerFactory.getLogger(HandOvers.class);
  /** The most queued messages read from disk and sent as one message of the series. */
  static final int MAX_PAGE_MESSAGES = 512;
  /**
   * About how many bytes of messages one page holds: the next page is cut to fit it by the size
   * of the last one (down to one message), so large messages do not make a page of hundreds of
   * megabytes.
   */
  static final int PAGE_BYTES = 4 << 20;

  private record Key(String peerId, long claimId) {}

  /** The stream a claim came on, where its answer goes back (a peer's stream into this node). */
  interface ReplyStream {
    boolean isOpen();

    void reply(PeerReply reply);

    /**
     * Runs {@code next} once every reply given so far is on its way and the stream takes more
     * (at once if it does now); never if the stream closes first.
     */
    void whenReady(Runnable next);
  }

  private static final class Pending {
    final HandOver handOver;
    final ReplyStream link;
    Scheduler.Cancellable timeout;

    Pending(HandOver handOver, ReplyStream link) {
      this.handOver = handOver;
      this.link = link;
    }
  }

  private final Scheduler timer;
  private final long timeoutMillis;
  private final Map<Key, Pending> pending = new ConcurrentHashMap<>();

  HandOvers(Scheduler timer, Duration timeout) {
    this.timer = timer;
    this.timeoutMillis = timeout.toMillis();
  }

  /** Sends {@code h}'s state to the peer behind {@code link}, answering its claim. */
  void send(String peerId, long claimId, HandOver h, ReplyStream link) {
    if (!link.isOpen()) {
      // The claim came on a stream that is gone: no answer could come back on it.
      h.abort();
      return;
    }
    Key key = new Key(peerId, claimId);
    Pending p = new Pending(h, link);
    pending.put(key, p);
    rearm(key, p);
    BacklogCursor backlog = h.backlog();
    int bytes = sendMessage(claimId, link, ProtoConvert.toProto(h.state()), backlog != null);
    LOG.debug("session {} sent to {} ({} bytes{})", h.clientId(), peerId, bytes,
        backlog == null ? "" : ", its disk backlog follows");
    if (backlog != null) {
      link.whenReady(() -> sendPage(key, p, backlog, MAX_PAGE_MESSAGES));
    }
  }

  /**
   * Reads the next page of the backlog (at most {@code limit} messages) and sends it, then the
   * next once the stream takes it; stops once hand-over {@code p} is settled or aborted.
   */
  private void sendPage(Key key, Pending p, BacklogCursor backlog, int limit) {
    if (pending.get(key) != p) {
      return;
    }
    backlog.next(limit, (page, last) -> {
      if (pending.get(key) != p) {
        return;
      }
      SessionState.Builder message = SessionState.newBuilder();
      for (Delivery d : page) {
        message.addQueued(CoreProtos.toProto(d));
      }
      int bytes = sendMessage(key.claimId, p.link, message.build(), !last);
      rearm(key, p);
      if (!last) {
        int next = nextLimit(page.size(), bytes);
        p.link.whenReady(() -> sendPage(key, p, backlog, next));
      }
    }, e -> abort(key, p, "its queued messages could not be read: " + e.getMessage()));
  }

  /** How many messages the next page may hold, by the bytes {@code count} of them took. */
  static int nextLimit(int count, int bytes) {
    if (count == 0 || bytes == 0) {
      return MAX_PAGE_MESSAGES;
    }
    long fit = (long) count * PAGE_BYTES / bytes;
    return (int) Math.max(1, Math.min(MAX_PAGE_MESSAGES, fit));
  }

  /**
   * Sends one message of the series in parts; {@code more}: others follow it. Returns its size.
   */
  private static int sendMessage(long claimId, ReplyStream link, SessionState message,
      boolean more) {
    ByteString bytes = message.toByteString();
    List<ByteString> parts = FrameParts.split(bytes);
    for (int i = 0; i < parts.size(); i++) {
      boolean endsMessage = i == parts.size() - 1;
      link.reply(
          PeerReply.newBuilder()
              .setClaimReply(
                  ClaimReply.newBuilder()
                      .setClaimId(claimId)
                      .setOutcome(ClaimReply.Outcome.HANDED_OVER)
                      .setStatePart(parts.get(i))
                      .setEndsMessage(endsMessage)
                      .setMore(more || !endsMessage))
              .build());
    }
    return bytes.size();
  }

  /**
   * The answer is due within the timeout from now (the last part sent), unless the hand-over is
   * over already. The timer aborts this hand-over only: a claimer that restarted numbers its
   * claims afresh, so a later one may have the same key.
   */
  private void rearm(Key key, Pending p) {
    Scheduler.Cancellable next = timer.schedule(
        () -> abort(key, p, "no confirmation within " + timeoutMillis + " ms"),
        timeoutMillis,
        TimeUnit.MILLISECONDS);
    Scheduler.Cancellable previous;
    synchronized (p) {
      previous = p.timeout;
      p.timeout = next;
    }
    if (previous != null) {
      previous.cancel();
    }
    if (pending.get(key) != p) {
      next.cancel();
    }
  }

  /**
   * The peer's answer to a hand-over. An installed state whose hand-over was already aborted
   * here (the answer came too late, or its stream broke) means two copies: the one here yields
   * to the peer's, which is the later, as after a partition.
   */
  void settled(String peerId, ClaimSettled settled, LocalNode node) {
    Pending p = pending.remove(new Key(peerId, settled.getClaimId()));
    boolean installed = settled.getInstalled();
    if (p == null) {
      if (installed && !settled.getClientId().isEmpty()) {
        node.resolveOwner(settled.getClientId(), settled.getHlc(), peerId);
      }
      return;
    }
    cancelTimeout(p);
    if (installed) {
      p.handOver.confirm(peerId);
    } else {
      p.handOver.abort();
    }
  }

  /** The stream a hand-over's answer would come on is gone: those sessions resume here. */
  void linkLost(ReplyStream link) {
    pending.forEach(
        (key, p) -> {
          if (p.link == link) {
            abort(key, p, "the link to " + key.peerId + " was lost");
          }
        });
  }

  /** Aborts hand-over {@code p}, if it is still the one pending under {@code key}. */
  private void abort(Key key, Pending p, String why) {
    if (p != null && pending.remove(key, p)) {
      cancelTimeout(p);
      LOG.atWarn().addKeyValue("clientId", p.handOver.clientId()).addKeyValue("peer", key.peerId)
          .addKeyValue("reason", why)
          .log("session {} stays here: hand-over to {} not confirmed ({})",
              p.handOver.clientId(), key.peerId, why);
      p.handOver.abort();
    }
  }

  private static void cancelTimeout(Pending p) {
    synchronized (p) {
      if (p.timeout != null) {
        p.timeout.cancel();
      }
    }
  }
}

package io.simqtt.peer;

import com.google.protobuf.ByteString;
import io.simqtt.core.cluster.LocalNode;
import io.simqtt.core.session.HandOver;
import io.simqtt.proto.peer.ClaimSettled;
import io.simqtt.proto.peer.ClaimReply;
import io.simqtt.proto.peer.PeerReply;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The holder's side of a session hand-over: sends the frozen session's state to the claiming
 * peer in parts, then waits for the peer's {@code ClaimSettled}. Installed: the session here
 * becomes a redirect to the peer. Not installed, no answer within the hand-over timeout, or the
 * peer's stream lost: the session resumes here with everything it held. Either way the session
 * has an owner at every moment; it is never deleted before the peer has it.
 */
final class HandOvers {
  private static final Logger LOG = LoggerFactory.getLogger(HandOvers.class);

  private record Key(String peerId, long claimId) {}

  /** The stream a claim came on, where its answer goes back (a peer's stream into this node). */
  interface ReplyStream {
    boolean isOpen();

    void reply(PeerReply reply);
  }

  private record Pending(HandOver handOver, ReplyStream link, Scheduler.Cancellable timeout) {}

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
    Scheduler.Cancellable timeout =
        timer.schedule(
            () -> abort(key, "no confirmation within " + timeoutMillis + " ms"),
            timeoutMillis,
            TimeUnit.MILLISECONDS);
    pending.put(key, new Pending(h, link, timeout));
    ByteString state = ProtoConvert.toProto(h.state()).toByteString();
    List<ByteString> parts = FrameParts.split(state);
    for (int i = 0; i < parts.size(); i++) {
      link.reply(
          PeerReply.newBuilder()
              .setClaimReply(
                  ClaimReply.newBuilder()
                      .setClaimId(claimId)
                      .setOutcome(ClaimReply.Outcome.HANDED_OVER)
                      .setStatePart(parts.get(i))
                      .setMore(i < parts.size() - 1))
              .build());
    }
    LOG.debug(
        "session {} sent to {} ({} bytes in {} parts)",
        h.clientId(), peerId, state.size(), parts.size());
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
    p.timeout.cancel();
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
            abort(key, "the link to " + key.peerId + " was lost");
          }
        });
  }

  private void abort(Key key, String why) {
    Pending p = pending.remove(key);
    if (p != null) {
      p.timeout.cancel();
      LOG.atWarn().addKeyValue("clientId", p.handOver.clientId()).addKeyValue("peer", key.peerId)
          .addKeyValue("reason", why)
          .log("session {} stays here: hand-over to {} not confirmed ({})",
              p.handOver.clientId(), key.peerId, why);
      p.handOver.abort();
    }
  }
}

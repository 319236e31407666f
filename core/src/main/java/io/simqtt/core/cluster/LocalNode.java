package io.simqtt.core.cluster;

import io.simqtt.core.message.Message;
import io.simqtt.core.retain.RetainedEntry;
import io.simqtt.core.routing.DeliveryReceipt;
import io.simqtt.core.session.Delivery;
import io.simqtt.core.session.HandOver;
import io.simqtt.core.session.SessionImport;
import io.simqtt.core.session.WriteHold;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/** What the cluster may ask of this node: the inbound side of {@link Cluster}. Thread-safe. */
public interface LocalNode {

  String nodeId();

  /** The clock that stamps this node's retained writes; peers' stamps are observed into it. */
  HybridClock clock();

  /**
   * Delivers a message a peer forwarded to this node's own sessions; it is never forwarded again.
   *
   * @param direct to the ordinary matching subscriptions
   * @param shared shared subscriptions ("$share/g/f") to give to one local member each
   * @param receipt counts down as each local session takes its copy
   * @return the shared subscriptions with no member here any more, for the sender to re-route
   */
  List<String> deliverForwarded(
      Message message, boolean direct, List<String> shared, DeliveryReceipt receipt);

  /**
   * A peer returned a message this node chose it for in {@code shared}: it has no member of those
   * groups any more, so another member gets it.
   */
  void returnShared(Message message, List<String> shared, String fromNodeId);

  /** Replaces everything known of a peer's routes (filter to subscription count). */
  void replaceRemoteRoutes(String nodeId, Map<String, Integer> routes);

  /** One route of a peer changed; count 0 removes it. */
  void updateRemoteRoute(String nodeId, String filter, int count);

  /** Forgets a peer's routes (its link is down): nothing is forwarded to it any more. */
  void dropRemoteRoutes(String nodeId);

  /**
   * A peer accepted a CONNECT for {@code clientId}: the client is disconnected here (0x8E).
   * Completes with the session frozen for the hand-over (its state inside; the caller must then
   * confirm or abort it), or null when this node holds no such session or {@code cleanStart}
   * (then the old session ends here and its will goes out).
   */
  CompletableFuture<HandOver> handOver(String clientId, boolean cleanStart);

  /**
   * A peer is sending {@code clientId}'s session here for a claim of this node's: where the
   * queued messages that come in parts behind its state go until it is installed; to the store
   * only if {@code stored} (the connection keeps its session).
   */
  SessionImport importSession(String clientId, boolean stored);

  /**
   * A delivery a peer redirected to this node's session {@code clientId}, which moved here from
   * there; {@code hops} counts the redirects so far, {@code lineage} names the session it is for
   * (0: any; see {@link io.simqtt.core.session.Session#deliverRedirected}). {@code receipt}
   * counts down once the session took it (or at once, when there is no such session).
   */
  void deliverRedirected(
      String clientId, Delivery delivery, int hops, long lineage, DeliveryReceipt receipt);

  /**
   * Whether this node keeps its sessions in a store (durable mode): a restart brings them back,
   * so what peers had not seen acknowledged is still wanted.
   */
  boolean keepsSessions();

  /**
   * Runs {@code action} once every session write made before the call is durable (at once
   * without a store): a forward is acknowledged to its sender only then.
   */
  void afterDurable(Runnable action);

  /**
   * A hold of the sessions' store ({@link WriteHold}): what a frame of forwards caused (its
   * copies, its redirects' journal writes) is written under it, and the record that the frame's
   * forwards were seen is written before its release, so the two reach the disk in one unit.
   */
  WriteHold holdWrites();

  /**
   * Lists the client ids whose sessions this node holds, each with when it got it ({@link
   * ClaimResult#stamp}), to find clients two nodes took while a partition kept them apart.
   */
  void forEachOwnedSession(BiConsumer<String, Long> owned);

  /**
   * A peer is heard from again after being apart from this node since {@code apartSince} (a
   * stamp of {@link #clock}; 0 when never heard from before): a session this node got since then
   * may be held by that peer too, until the lists of owned sessions settle it, and the peer may
   * send copies of one message both by route and by redirect. Each such session drops second
   * copies for the redirect time, starting before anything the peer sends now is handled.
   */
  void expectRedirectsSince(long apartSince);

  /**
   * Node {@code theirNode} holds {@code clientId} too, since {@code theirStamp}: if this node's
   * session is the older one it yields (its connection gets 0x8E and what it held goes to that
   * node); otherwise this node's session keeps the client and, for the redirect time, drops
   * second copies of what the other node, yielding when it hears of ours, sends here.
   */
  void resolveOwner(String clientId, long theirStamp, String theirNode);

  /** A retained set (message non-null) or clear from a peer; applied only if newer. */
  void applyRetained(String topic, Message message, RetainedStamp stamp);

  /** Every retained entry with its stamp, clears included, to reconcile a new link. */
  List<RetainedEntry> retainedEntries();
}

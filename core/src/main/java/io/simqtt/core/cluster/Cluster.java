package io.simqtt.core.cluster;

import io.simqtt.core.message.Message;
import io.simqtt.core.routing.DeliveryReceipt;
import io.simqtt.core.session.Delivery;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What the broker tells the rest of the cluster. The broker calls these from its event loops:
 * implementations must be thread-safe and must not block.
 */
public interface Cluster {

  /** A single node: nobody to tell. */
  Cluster SINGLE_NODE = new SingleNodeCluster();

  /**
   * Called once by the broker before its listeners open; {@code node} is the inbound side. May
   * wait, bounded, for what other nodes must tell this one before clients are taken (their
   * subscriptions).
   */
  void start(LocalNode node);

  /** Called once when the broker closes. */
  void stop();

  /** A local subscription to {@code filter} ("$share/g/f" for a shared one) was added. */
  void subscriptionAdded(String filter);

  /** A local subscription to {@code filter} was removed. */
  void subscriptionRemoved(String filter);

  /**
   * Sends a message accepted on this node to other nodes: one copy per node, whatever number of
   * its filters matched. All copies are handed over in one call so the message is prepared for
   * the wire once. Returns the pressure of a link the message filled beyond its budget (the
   * publisher should wait for it), or null. In durable mode a QoS 1/2 copy counts on {@code
   * receipt} (null: none) until it is written to the node's {@link ForwardJournal}.
   */
  Backpressure forward(Message message, List<ForwardCopy> copies, DeliveryReceipt receipt);

  /**
   * Sends a delivery for session {@code clientId}, which moved from this node to node {@code
   * nodeId}, on to it ({@code hops} counts redirects including this one), naming the session's
   * {@code lineage} (0: unknown; see {@link io.simqtt.core.session.Session#deliverRedirected}).
   * Kept and re-sent like a forward until the node acknowledges it, and counted on {@code
   * receipt} (null: none) like one. One that is not kept (no link to that node, or its link
   * stopped) marks {@code receipt} {@link DeliveryReceipt#lost}: what was passed on must stay
   * where it was. Returns false when it is not kept (the caller counts the drop).
   */
  boolean redirect(
      String nodeId,
      String clientId,
      Delivery delivery,
      int hops,
      long lineage,
      DeliveryReceipt receipt);

  /**
   * Whether node {@code nodeId} is reachable right now (its links both ways are up): shared
   * groups choose members on unreachable nodes only when no other member is left.
   */
  boolean canReach(String nodeId);

  /**
   * How long, in milliseconds, every peer has been linked both ways and done re-sending what it
   * held (its stream into this node has handled the forwards its Hello said it would re-send),
   * or {@link #NOT_WHOLE} while one is not. A peer declared dead or gone is not whole: it may
   * come back from its store and send again what it had not seen acknowledged, so a session that
   * moved away redirects until the cluster is whole, and its new node tells second copies apart
   * until it has been whole for twice the redirect time (the redirect at most the late-redirect
   * time after the move, the window that plus twice the redirect time). A duration, not a
   * moment: the cluster keeps time on its own clock. Cheap: read whenever a window for second
   * copies is checked past its own deadline, and every second by a redirect past its redirect
   * time.
   */
  long wholeForMillis();

  /** {@link #wholeForMillis} while a peer is away. */
  long NOT_WHOLE = -1;

  /** A retained message was set ({@code message} non-null) or cleared here, stamped {@code stamp}. */
  void retainedChanged(String topic, Message message, RetainedStamp stamp);

  /**
   * A client is connecting here: whoever else holds its session disconnects it and, unless
   * {@code cleanStart}, hands the session over. {@code keepsSession}: the connection asks for a
   * Session Expiry Interval above 0, so in durable mode a large session arriving may be stored
   * as it comes (see {@link io.simqtt.core.session.SessionImport}). Never completes
   * exceptionally; peers that do not answer in time are passed over. May complete on any
   * thread. Cancelling it gives the claim up: the connect was refused (its connect timeout), as
   * with {@link ClaimResult#refused}, so state a holder is sending or sent goes back to it and
   * other nodes' claims for the client need not wait for it.
   */
  CompletableFuture<ClaimResult> claim(String clientId, boolean cleanStart, boolean keepsSession);
}

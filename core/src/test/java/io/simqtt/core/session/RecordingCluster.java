package io.simqtt.core.session;

import io.simqtt.core.cluster.Backpressure;
import io.simqtt.core.cluster.ClaimResult;
import io.simqtt.core.cluster.Cluster;
import io.simqtt.core.cluster.ForwardCopy;
import io.simqtt.core.cluster.LocalNode;
import io.simqtt.core.cluster.RetainedStamp;
import io.simqtt.core.message.Message;
import io.simqtt.core.routing.DeliveryReceipt;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A cluster that records what sessions ask of it: redirects as "node:number:hops" (the number is
 * the payload's first byte), forwards of shared deliveries as "node:number:hops:groups", route
 * changes as "+filter" and "-filter"; the rest does nothing. A
 * redirect's receipt is held as a durable node's link would hold it until its journal write:
 * counted, and let go by the test ({@link #journaled}).
 */
public class RecordingCluster implements Cluster {
  final List<String> redirects = new ArrayList<>();
  /** The session lineage each of {@link #redirects} named, in the same order. */
  final List<Long> lineages = new ArrayList<>();
  final List<String> sharedForwards = new ArrayList<>();
  final List<String> routes = new ArrayList<>();
  /** Redirects whose journal write is not done: the node, the delivery, its receipt. */
  private final List<Held> held = new ArrayList<>();
  private long journalSeq;
  /** What {@link #wholeForMillis} answers: whole for ever unless a test says otherwise. */
  volatile long wholeForMillis = Long.MAX_VALUE;

  private record Held(String nodeId, Delivery delivery, DeliveryReceipt receipt) {}

  /** As a stopped link does (it refused the task): nothing written, the receipts marked lost. */
  void refused() {
    held.forEach(h -> h.receipt().lost());
    held.clear();
  }

  /** The redirects' journal writes are done: their receipts count down. */
  void journaled() {
    journaled(held.size());
  }

  /** The journal writes of the first {@code n} redirects held are done. */
  void journaled(int n) {
    List<Held> done = held.subList(0, n);
    done.forEach(h -> h.receipt().taken(true));
    done.clear();
  }

  /** How many redirects wait for their journal write. */
  int unjournaled() {
    return held.size();
  }

  /** How many receipts the redirects held count on. */
  long receipts() {
    return held.stream().map(Held::receipt).distinct().count();
  }

  /**
   * {@link #journaled}, each journal write made to {@code journal} as an entry of client {@code
   * journal:<node>} under its receipt's hold, as a durable link writes it to a journal on the
   * sessions' store.
   */
  void journaled(SessionStore journal) {
    for (Held h : held) {
      journal.addMessage("journal:" + h.nodeId(), ++journalSeq, h.delivery(), h.receipt().hold());
    }
    journaled();
  }

  @Override
  public boolean redirect(
      String nodeId,
      String clientId,
      Delivery delivery,
      int hops,
      long lineage,
      DeliveryReceipt receipt) {
    redirects.add(nodeId + ":" + delivery.message().payload()[0] + ":" + hops);
    lineages.add(lineage);
    if (receipt != null) {
      receipt.expect();
      held.add(new Held(nodeId, delivery, receipt));
    }
    return true;
  }

  @Override
  public void start(LocalNode node) {}

  @Override
  public void stop() {}

  @Override
  public void subscriptionAdded(String filter) {
    routes.add("+" + filter);
  }

  @Override
  public void subscriptionRemoved(String filter) {
    routes.add("-" + filter);
  }

  @Override
  public Backpressure forward(
      Message message, List<ForwardCopy> copies, DeliveryReceipt receipt) {
    for (ForwardCopy c : copies) {
      if (!c.shared().isEmpty()) {
        sharedForwards.add(
            c.nodeId() + ":" + message.payload()[0] + ":" + c.hops() + ":" + c.shared());
      }
    }
    return null;
  }

  @Override
  public boolean canReach(String nodeId) {
    return true;
  }

  @Override
  public long wholeForMillis() {
    return wholeForMillis;
  }

  @Override
  public void retainedChanged(String topic, Message message, RetainedStamp stamp) {}

  @Override
  public CompletableFuture<ClaimResult> claim(String clientId, boolean cleanStart, boolean keepsSession) {
    return CompletableFuture.completedFuture(ClaimResult.NONE);
  }
}

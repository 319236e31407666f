package io.simqtt.core.cluster;

import io.simqtt.core.message.Message;
import io.simqtt.core.routing.DeliveryReceipt;
import io.simqtt.core.session.Delivery;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** The cluster of one: every call is a no-op and every claim finds nobody else. */
final class SingleNodeCluster implements Cluster {
  private static final CompletableFuture<ClaimResult> NOBODY =
      CompletableFuture.completedFuture(ClaimResult.NONE);

  @Override
  public void start(LocalNode node) {}

  @Override
  public void stop() {}

  @Override
  public void subscriptionAdded(String filter) {}

  @Override
  public void subscriptionRemoved(String filter) {}

  @Override
  public Backpressure forward(
      Message message, List<ForwardCopy> copies, DeliveryReceipt receipt) {
    return null;
  }

  @Override
  public boolean redirect(
      String nodeId,
      String clientId,
      Delivery delivery,
      int hops,
      long lineage,
      DeliveryReceipt receipt) {
    throw new IllegalStateException("a single node has no other node to redirect to");
  }

  @Override
  public boolean canReach(String nodeId) {
    return false;
  }

  @Override
  public long wholeForMillis() {
    return Long.MAX_VALUE;
  }

  @Override
  public void retainedChanged(String topic, Message message, RetainedStamp stamp) {}

  @Override
  public CompletableFuture<ClaimResult> claim(String clientId, boolean cleanStart, boolean keepsSession) {
    return NOBODY;
  }
}

package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.cluster.Cluster;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How long the cluster has been whole ({@link PeerCluster#wholeForMillis}), which keeps a
 * moved session's window for second copies open and its old node redirecting: a peer that
 * stopped is away, also once it said Goodbye or is given up as dead, since it may come back from
 * its store; once it is back the cluster is whole from then, not from before it left.
 * In-process, manual time.
 */
@Timeout(60)
class ClusterWholeTest {
  private ClusterFixture cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aStoppedPeerIsAwayThoughGivenUpAndTheClusterIsWholeFromItsReturn() {
    cluster = ClusterFixture.startInProcess(2, "");
    PeerCluster n1 = cluster.cluster(0);
    cluster.advance(Duration.ofSeconds(5));
    assertTrue(n1.wholeForMillis() >= 4_000, "whole since the links came up");

    cluster.stop(1);
    cluster.advance(Duration.ofSeconds(31)); // past dead-after: n1 gives n2 up
    assertEquals(Cluster.NOT_WHOLE, n1.wholeForMillis(), "given up, yet away");

    cluster.restart(1);
    cluster.advanceUntil(() -> n1.wholeForMillis() != Cluster.NOT_WHOLE,
        ClusterFixture.MAX_RECONNECT, "n2 back, linked both ways");
    long back = n1.wholeForMillis();
    assertTrue(back < 1_000, "whole since it came back: " + back);
    cluster.advance(Duration.ofSeconds(3));
    long later = n1.wholeForMillis();
    // Counted from the timer's first look after the return, at most a second after it.
    assertTrue(later >= 2_000 && later <= 3_000, back + " then " + later);
  }
}

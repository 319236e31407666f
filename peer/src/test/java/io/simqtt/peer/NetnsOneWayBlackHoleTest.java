package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A one-way black hole in the kernel between two node processes: n1's packets reach n2, n2's
 * packets to n1 vanish (no RST, no ICMP). n1's stream to n2 gets no answers, n2's stream to n1
 * reaches nobody; TCP on both ends keeps retransmitting and never gives up on its own within the
 * test. Both nodes must find their link to the other down by heartbeats within {@code
 * keep-alive-interval + keep-alive-timeout} (plus one interval for the check, and slack), and
 * after the heal every message the publishers had acknowledged reaches the subscriber on n2.
 */
@Timeout(120)
@Tag("netns")
class NetnsOneWayBlackHoleTest {
  private static final int A = 0;
  private static final int B = 1;
  private static final int C = 2;
  private static final Duration INTERVAL = Duration.ofMillis(500);
  private static final Duration TIMEOUT = Duration.ofSeconds(1);
  /**
   * The watchdog looks every interval for a link silent longer than interval + timeout; the
   * slack covers that look, a busy machine and the log line's way to this JVM.
   */
  private static final Duration DETECTION =
      INTERVAL.plus(TIMEOUT).plus(INTERVAL).plus(Duration.ofMillis(1500));
  /** Well beyond the cut, so nothing is given up for a dead node here. */
  private static final String HOCON = "cluster.keep-alive-interval = 500ms\n"
      + "cluster.keep-alive-timeout = 1s\n"
      + "cluster.dead-after = 30s\n";
  private static final Duration CUT = Duration.ofSeconds(5);

  @TempDir Path dir;
  private NetnsCluster cluster;

  @BeforeEach
  void start() throws Exception {
    cluster = NetnsCluster.start(3, dir, HOCON);
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void bothEndsFindTheLinkDownByHeartbeatsAndNothingAcknowledgedIsLost() throws Exception {
    NemesisRun traffic = new NemesisRun("NetnsOneWayBlackHoleTest", "ow",
        NemesisTest.seed(), cluster.size(), cluster::mqttPort, cluster.nodes()::allAlive);
    traffic.subscribers = 1;
    traffic.home = B;
    traffic.publishers = List.of(A, C);
    try {
      traffic.start(Duration.ofSeconds(60));
      await(Duration.ofSeconds(10), traffic::everySubscriberReceives, "messages flowing");

      long t0 = System.nanoTime();
      cluster.faults().blackholeOneWay(B, A);
      Duration aFinds = cluster.awaitLinkDown(A, B, DETECTION.plusSeconds(5));
      cluster.awaitLinkDown(B, A, DETECTION.plusSeconds(5));
      // n2's line may have come while this waited for n1's: since the cut is an upper bound.
      Duration bFinds = Duration.ofNanos(System.nanoTime() - t0);
      String detection = "n1 finds n2 down after " + aFinds.toMillis() + " ms, n2 finds n1 down "
          + "within " + bFinds.toMillis() + " ms (bound " + DETECTION.toMillis() + " ms)";
      pause(CUT.minus(Duration.ofNanos(System.nanoTime() - t0)));

      cluster.faults().heal(A, B);
      cluster.awaitLinkUp(A, B, Duration.ofSeconds(15));
      cluster.awaitLinkUp(B, A, Duration.ofSeconds(15));
      pause(Duration.ofSeconds(2)); // traffic over the healed link before the end
      String summary = traffic.finish();
      System.out.println("NetnsOneWayBlackHoleTest: " + detection + "; " + summary);
      assertTrue(aFinds.compareTo(DETECTION) <= 0 && bFinds.compareTo(DETECTION) <= 0,
          "both ends find the link down in time: " + detection);
    } finally {
      traffic.close();
    }
  }

  /** Lets time pass under load (a fault schedule, not synchronisation). */
  static void pause(Duration d) throws InterruptedException {
    if (!d.isNegative()) {
      Thread.sleep(d.toMillis());
    }
  }
}

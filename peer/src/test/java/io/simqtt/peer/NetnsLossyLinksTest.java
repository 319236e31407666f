package io.simqtt.peer;

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
 * Every link between the three node processes is slow and lossy in the kernel (what {@code tc
 * netem delay 50ms 20ms loss 8%} on every node does: packets late, out of order, lost and
 * retransmitted by TCP) while two persistent QoS 1 subscribers hop between nodes every 1-3 s and
 * two publishers send numbered QoS 1 messages for 20 s. Every acknowledged message must reach every
 * subscriber, and no reconnect may get a fresh session.
 */
@Timeout(120)
@Tag("netns")
class NetnsLossyLinksTest {
  private static final LinkFaults.Netem LOSSY =
      new LinkFaults.Netem(Duration.ofMillis(50), Duration.ofMillis(20), 0.08);
  private static final String HOCON = "cluster.keep-alive-interval = 500ms\n"
      + "cluster.keep-alive-timeout = 1s\n"
      + "cluster.claim-timeout = 2s\n";

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
  void everyAcknowledgedMessageArrivesOverSlowLossyLinks() throws Exception {
    for (int n = 0; n < cluster.size(); n++) {
      cluster.faults().netem(n, LOSSY);
    }
    NemesisRun run = new NemesisRun("NetnsLossyLinksTest", "lossy", NemesisTest.seed(),
        cluster.size(), cluster::mqttPort, cluster.nodes()::allAlive);
    run.subscribers = 2;
    run.publishers = List.of(0, 2);
    run.minStay = Duration.ofSeconds(1);
    run.maxStay = Duration.ofSeconds(3);
    run.extraReport = () -> "every link " + LOSSY + ": " + cluster.faults().packetReport();
    run.run(Duration.ofSeconds(20), null, true);

    long[] packets = cluster.faults().packets();
    cluster.faults().healAll(); // the nodes say Goodbye on a clean link when they stop
    assertTrue(packets[0] > 0 && packets[1] > 0,
        "the links were lossy and slow: " + cluster.faults().packetReport());
  }
}

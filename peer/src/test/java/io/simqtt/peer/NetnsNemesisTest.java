package io.simqtt.peer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link NemesisRun} against three node processes in network namespaces ({@link NetnsCluster}),
 * the faults made by the kernel: every 8-15 s, for 3-12 s, one of a black hole between two nodes
 * (both ways), a one-way black hole, a node isolated from both others, or netem-like delay,
 * jitter and loss on one node's link or on every link. Six persistent subscribers hop between
 * nodes, three publishers send numbered QoS 1 messages; at the end every acknowledged message
 * must have reached every subscriber and no reconnect may have got Session Present 0.
 *
 * <p>Only with the profile: {@code mvn -Pfaults -pl peer -am test -Dtest=NetnsNemesisTest
 * [-Dnemesis.minutes=10] [-Dnemesis.seed=N]}. Node logs go to target/netns-nemesis-SEED/.
 * Faults stay below {@code cluster.dead-after} (30 s): past it a node is dead by design and what
 * it held is lost, which this checker would count as missing.
 */
@Tag("netns")
class NetnsNemesisTest {
  private static final String HOCON = NemesisTest.NODE_HOCON
      + "cluster.keep-alive-interval = 1s\n"
      + "cluster.keep-alive-timeout = 2s\n";

  @TempDir Path configDir;

  @Test
  @Tag("faults")
  void randomLinkFaultsWhileSubscribersHop() throws Exception {
    long seed = NemesisTest.seed();
    System.out.println("NetnsNemesisTest (rerun: -Dnemesis.seed=" + seed + ")");
    NetnsCluster cluster = NetnsCluster.start(3, configDir, HOCON);
    try {
      NemesisRun run = new NemesisRun("NetnsNemesisTest", "nn", seed, cluster.size(),
          cluster::mqttPort, cluster.nodes()::allAlive);
      run.extraReport = () -> cluster.faults().packetReport();
      run.run(NemesisTest.minutes(), linkFaults(cluster), true);
    } finally {
      cluster.nodes().saveLogs(Path.of("target", "netns-nemesis-" + seed));
      cluster.close();
    }
  }

  private static NemesisRun.Faults linkFaults(NetnsCluster cluster) {
    LinkFaults faults = cluster.faults();
    int nodes = cluster.size();
    return new NemesisRun.Faults() {
      @Override
      public String inject(Random random) {
        int a = random.nextInt(nodes);
        int b = (a + 1 + random.nextInt(nodes - 1)) % nodes;
        switch (random.nextInt(5)) {
          case 0 -> faults.blackhole(a, b);
          case 1 -> faults.blackholeOneWay(a, b);
          case 2 -> faults.isolate(a);
          case 3 -> faults.netem(a, netem(random));
          default -> {
            LinkFaults.Netem everywhere = netem(random);
            for (int n = 0; n < nodes; n++) {
              faults.netem(n, everywhere);
            }
          }
        }
        return faults.describe();
      }

      @Override
      public void heal() {
        faults.healAll();
      }
    };
  }

  /** 20-150 ms, jitter up to half of it, 0-10 % loss. */
  private static LinkFaults.Netem netem(Random random) {
    int delay = 20 + random.nextInt(131);
    return new LinkFaults.Netem(Duration.ofMillis(delay),
        Duration.ofMillis(random.nextInt(delay / 2 + 1)), random.nextInt(11) / 100.0);
  }
}

package io.simqtt.peer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link NemesisTest}'s randomized run on three durable node processes, with kill -9 and SIGSTOP
 * as the faults: every 8-15 s one node is either killed and restarted on its data directory 3-12
 * s later, or frozen for 3-12 s and continued ({@link NemesisTest}'s freezes). A
 * durable node comes back with its sessions, so the others must not give them up for lost while
 * it restarts: {@code cluster.dead-after} is 2 minutes here, as an operator of a durable cluster
 * would set it (with the default 30 s, a restart slowed past it on this shared machine made the
 * other nodes start fresh sessions for clients whose sessions were on their way back). Six
 * persistent subscribers hop between nodes and three publishers send numbered QoS 1 messages
 * throughout; at the end every subscriber must have every message the broker acknowledged, and
 * no reconnect may have been given a fresh session.
 *
 * <p>{@code mvn -Pfaults -pl peer -am test -Dtest=DurableNemesisTest [-Dnemesis.minutes=10]
 * [-Dnemesis.seed=N]}; node logs go to target/durable-nemesis-SEED/.
 */
@Tag("faults")
class DurableNemesisTest {
  private static final int NODES = 3;
  private static final String DEAD_AFTER = "cluster.dead-after = 2m\n";

  @TempDir Path dir;

  @Test
  void randomKillsAndFreezesWhileSubscribersHop() throws Exception {
    long seed = NemesisTest.seed();
    Duration run = NemesisTest.minutes();
    System.out.println("DurableNemesisTest (rerun: -Dnemesis.seed=" + seed + ")");
    ProcessCluster nodes =
        ProcessCluster.startDurable(NODES, dir, NemesisTest.NODE_HOCON + DEAD_AFTER,
            List.of("-Xmx512m"));
    try {
      new NemesisRun("DurableNemesisTest", "dnem", seed, NODES, nodes::mqttPort, nodes::allAlive)
          .run(run, NemesisRun.Faults.oneOf(kills(nodes), NemesisTest.freezes(nodes)), true);
    } finally {
      nodes.thawAll();
      nodes.saveLogs(Path.of("target", "durable-nemesis-" + seed));
      nodes.close();
    }
  }

  /** One node killed (kill -9) at a time; healed by starting it again on its data directory. */
  private static NemesisRun.Faults kills(ProcessCluster nodes) {
    return new NemesisRun.Faults() {
      private int killed = -1;

      @Override
      public synchronized String inject(Random random) {
        int n = random.nextInt(NODES);
        try {
          nodes.kill9(n);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
        killed = n;
        System.out.println(Instant.now() + " DurableNemesisTest: killed " + ClusterFixture.nodeId(n));
        return "kill -9 " + ClusterFixture.nodeId(n);
      }

      @Override
      public synchronized void heal() {
        if (killed < 0) {
          return;
        }
        int n = killed;
        killed = -1;
        System.out.println(Instant.now() + " DurableNemesisTest: restarting " + ClusterFixture.nodeId(n));
        try {
          nodes.restart(n);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
    };
  }
}

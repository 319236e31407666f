package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.ReasonCode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The measured run of a large durable session's move (not a unit test: {@code -Pdurable-bench}):
 * two durable node processes with 64 MB heaps, a persistent subscriber offline on n1 while N QoS 1
 * messages of 64 bytes queue for it, then the subscriber back on n2. Prints how long the CONNACK
 * took (the whole transfer: the claim completes once the last page is stored) and the delivery,
 * for docs/BENCHMARKS.md; every message must arrive once and in order.
 *
 * <pre>
 * mvn -B -ntp -o -Pdurable-bench -pl peer -am test -Dtest=DurableMoveBench \
 *     -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
@Tag("durable-bench")
class DurableMoveBench {
  @TempDir Path dir;
  private ProcessCluster nodes;

  @AfterEach
  void tearDown() {
    if (nodes != null) {
      nodes.close();
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {100_000, 1_000_000})
  void aSessionOfNQueuedMessagesMoves(int n) throws Exception {
    nodes = ProcessCluster.startDurable(2, dir,
        "mqtt.sessions.max-queued-messages = 2000000\nmqtt.sessions.max-queued-bytes = 1TiB\n",
        List.of("-Xmx64m"));
    LargeQueueMove.subscribeAndLeave(nodes, 0);
    long t0 = System.nanoTime();
    LargeQueueMove.publish(nodes, 0, n, 64);
    long publishMillis = (System.nanoTime() - t0) / 1_000_000;
    LargeQueueMove.Arrival a =
        LargeQueueMove.connectAndReceive(nodes, 1, n, Duration.ofSeconds(600));
    System.out.printf("durable-move-bench n=%d publish=%d ms; %s (%d msg/s delivered)%n",
        n, publishMillis, a.summary(n), n * 1000L / Math.max(1, a.receiveMillis()));
    assertEquals(ReasonCode.SUCCESS, a.ack().reasonCode());
    assertTrue(a.ack().sessionPresent());
    assertEquals(n, a.numbers().size());
    assertTrue(a.outOfOrder().isEmpty(), "out of order: " + Receipts.brief(a.outOfOrder()));
    assertTrue(nodes.allAlive(), "a node died");
  }
}

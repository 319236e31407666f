package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.ReasonCode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A durable session whose queue is far larger than either node's heap moves between two node
 * processes: 24,000 queued QoS 1 messages of 4 KB (about 100 MB) on n1, whose JVMs have a 64 MB
 * heap, and the client connects to n2. The session comes with Session Present and every message,
 * once and in order, and both nodes stay up. Before the hand-over streamed the disk part of the
 * queue, the holder read all of it onto its heap first and the claimer joined it into one state:
 * the move failed (CONNACK 0x88).
 */
@Timeout(240)
class DurableLargeSessionMoveTest {
  private static final int MESSAGES = 24_000;

  @TempDir Path dir;
  private ProcessCluster nodes;

  @AfterEach
  void tearDown() throws Exception {
    if (nodes != null) {
      nodes.saveLogs(Path.of("target", "durable-large-session-move"));
      nodes.close();
    }
  }

  @Test
  void aQueueLargerThanTheHeapMovesWithItsSessionInOrder() throws Exception {
    nodes = ProcessCluster.startDurable(2, dir,
        "mqtt.sessions.max-queued-messages = 100000\n", List.of("-Xmx64m"));
    LargeQueueMove.subscribeAndLeave(nodes, 0);
    LargeQueueMove.publish(nodes, 0, MESSAGES, 4 * 1024);

    LargeQueueMove.Arrival a =
        LargeQueueMove.connectAndReceive(nodes, 1, MESSAGES, Duration.ofSeconds(120));
    String summary = a.summary(MESSAGES);
    System.out.println("DurableLargeSessionMoveTest: " + summary);
    assertAll(summary,
        () -> assertEquals(ReasonCode.SUCCESS, a.ack().reasonCode(), "CONNACK reason"),
        () -> assertTrue(a.ack().sessionPresent(), "Session Present"),
        () -> assertEquals(MESSAGES, a.numbers().size(), "deliveries"),
        () -> assertTrue(a.outOfOrder().isEmpty(),
            "not the n-th message at position n: " + Receipts.brief(a.outOfOrder())),
        () -> assertTrue(nodes.allAlive(), "a node died"),
        () -> assertFalse(nodes.log(0).stream().anyMatch(l -> l.contains("OutOfMemoryError")),
            "n1 ran out of memory"),
        () -> assertFalse(nodes.log(1).stream().anyMatch(l -> l.contains("OutOfMemoryError")),
            "n2 ran out of memory"));
  }
}

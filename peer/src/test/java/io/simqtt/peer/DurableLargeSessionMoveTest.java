package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket.ConnAck;
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
 * the move failed (CONNACK 0x88). It also moves to n2 and straight back to n1, onto the redirect
 * the first move left there.
 */
@Timeout(300)
class DurableLargeSessionMoveTest {
  private static final int MESSAGES = 24_000;

  /**
   * Queues of the test's size, and a connect timeout that a move of them on a loaded machine
   * (CI on two cores, the 64 MB heaps collecting often) stays well inside: what is tested is that
   * they move at all with heaps smaller than they are; how fast is DurableMoveBench's.
   */
  private static final String LARGE_QUEUES =
      "mqtt.sessions.max-queued-messages = 100000\nmqtt.sessions.max-queued-bytes = 1TiB\n"
          + "mqtt.limits.connect-timeout = 60s\n";

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
    nodes = ProcessCluster.startDurable(2, dir, LARGE_QUEUES, List.of("-Xmx64m"));
    LargeQueueMove.subscribeAndLeave(nodes, 0);
    LargeQueueMove.publish(nodes, 0, MESSAGES, 4 * 1024);

    LargeQueueMove.Arrival a =
        LargeQueueMove.connectAndReceive(nodes, 1, MESSAGES, Duration.ofSeconds(120));
    assertArrived(a, "DurableLargeSessionMoveTest");
  }

  /**
   * The session moves to n2 and straight back to n1, within {@code cluster.redirect-time}: n1
   * still has the redirect the first move left, a Session object of the client. The claimer kept
   * the pages on its heap then (the install replaced that session's entries whole, and an import
   * there could collide with them): the move back ran n1 out of its 64 MB heap. Now the pages go
   * to n1's store, above whatever the redirect keeps there.
   */
  @Test
  void aQueueLargerThanTheHeapMovesAwayAndBackWhileTheRedirectIsThere() throws Exception {
    nodes = ProcessCluster.startDurable(2, dir, LARGE_QUEUES + "cluster.redirect-time = 60s\n",
        List.of("-Xmx64m"));
    LargeQueueMove.subscribeAndLeave(nodes, 0);
    LargeQueueMove.publish(nodes, 0, MESSAGES, 4 * 1024);

    ConnAck there = LargeQueueMove.connectAndLeave(nodes, 1);
    assertEquals(ReasonCode.SUCCESS, there.reasonCode(), "CONNACK reason on n2");
    assertTrue(there.sessionPresent(), "Session Present on n2");
    LargeQueueMove.Arrival back =
        LargeQueueMove.connectAndReceive(nodes, 0, MESSAGES, Duration.ofSeconds(120));
    assertArrived(back, "DurableLargeSessionMoveTest back on n1");
  }

  private void assertArrived(LargeQueueMove.Arrival a, String what) {
    String summary = a.summary(MESSAGES);
    System.out.println(what + ": " + summary);
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
            "n2 ran out of memory"),
        () -> assertFalse(nodes.log(0).stream().anyMatch(l -> l.contains("heap guard on")),
            "n1's heap filled up (its heap guard stopped reading)"),
        () -> assertFalse(nodes.log(1).stream().anyMatch(l -> l.contains("heap guard on")),
            "n2's heap filled up (its heap guard stopped reading)"));
  }
}

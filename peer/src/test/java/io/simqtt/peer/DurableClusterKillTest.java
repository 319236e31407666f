package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three durable node processes, persistent sessions held on n1 (QoS 2 subscriptions), QoS 1 and
 * QoS 2 publishers on the other nodes, and a kill -9 under that load of the node that holds the
 * sessions or of one that sends to them. Every message a publisher had acknowledged reaches every
 * session after the restart, and no QoS 2 message twice:
 *
 * <ul>
 *   <li>n1 acknowledges a forward only once its sessions' copies are durable, and a sender keeps
 *       what n1 had not acknowledged and sends it again to n1's new incarnation, which says it
 *       kept its sessions (before, the senders dropped those forwards, and this test saw them
 *       missing);
 *   <li>a sender acknowledges a publish only once the forwards it caused are in its own store,
 *       and sends them again after its restart: with n1 frozen, nothing n2 acknowledged has
 *       reached it when n2 is killed.
 * </ul>
 */
class DurableClusterKillTest {
  private static final Duration BOUND = Duration.ofSeconds(30);
  private static final int SUBSCRIBERS = 2;
  /** Room for every message: a full queue drops (counted), which is not what this tests. */
  private static final String ROOMY_QUEUES = "mqtt.sessions.max-queued-messages = 100000\n";

  @TempDir Path dir;
  private ProcessCluster nodes;
  private final List<RawSessionSubscriber> subs = new ArrayList<>();
  private final List<NumberedPublisher> pubs = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    try {
      Path logs = Path.of("target", "durable-cluster-kill");
      if (nodes != null) {
        nodes.saveLogs(logs);
      }
      for (RawSessionSubscriber sub : subs) {
        Files.write(logs.resolve(sub.id + ".log"), sub.log);
      }
      for (NumberedPublisher p : pubs) {
        p.close(Duration.ofSeconds(2));
      }
    } finally {
      subs.forEach(RawSessionSubscriber::close);
      if (nodes != null) {
        nodes.close();
      }
    }
  }

  @Test
  void theSessionsNodeKilledUnderLoadLosesNoAcknowledgedMessage() throws Exception {
    startWithSessionsOnN1();
    pubs.add(NumberedPublisher.connect("p1", ClusterFixture.HOST, nodes.mqttPort(1),
        "c/p1", MqttQos.AT_LEAST_ONCE));
    pubs.add(NumberedPublisher.connect("p2", ClusterFixture.HOST, nodes.mqttPort(2),
        "c/p2", MqttQos.EXACTLY_ONCE));
    pubs.forEach(p -> p.start(100, 3000, BOUND));
    await(BOUND, () -> pubs.stream().allMatch(p -> p.acked().size() >= 200),
        "200 acknowledged per publisher");
    nodes.kill9(0);
    int ackedAtKill = totalAcked();
    nodes.restart(0);
    await(BOUND, () -> totalAcked() >= ackedAtKill + 200, "more acknowledged after the restart");
    stopPublishers();

    assertEverySessionHasEveryAcknowledgedMessage();
    for (RawSessionSubscriber sub : subs) {
      assertEquals(0, sub.qos2.duplicates(), sub.id + ": QoS 2 delivered twice");
    }
    for (int n = 1; n <= 2; n++) {
      assertFalse(nodes.log(n).stream()
              .anyMatch(l -> l.contains("forwards it had not acknowledged are dropped")),
          "n" + (n + 1) + " dropped forwards for n1's new incarnation");
    }
  }

  @Test
  void aSendingNodeKilledLosesNoForwardItAcknowledged() throws Exception {
    startWithSessionsOnN1();
    NumberedPublisher p = NumberedPublisher.connect("p1", ClusterFixture.HOST,
        nodes.mqttPort(1), "c/p1", MqttQos.AT_LEAST_ONCE);
    pubs.add(p);
    p.start(100, 3000, BOUND);
    await(BOUND, () -> p.acked().size() >= 100, "100 acknowledged");
    // n1 takes nothing more: what n2 acknowledges from now on is only in n2's store.
    nodes.freeze(0);
    int ackedAtFreeze = p.acked().size();
    await(BOUND, () -> p.acked().size() >= ackedAtFreeze + 100,
        "100 more acknowledged with n1 frozen");
    nodes.kill9(1);
    nodes.thaw(0);
    nodes.restart(1);
    int ackedAtRestart = p.acked().size();
    await(BOUND, () -> p.acked().size() >= ackedAtRestart + 100,
        "more acknowledged after n2's restart");
    stopPublishers();

    assertEverySessionHasEveryAcknowledgedMessage();
    assertTrue(nodes.log(1).stream()
            .anyMatch(l -> l.contains("forwards peers had not acknowledged are back")),
        "n2 sent its stored forwards again");
  }

  /** Persistent sessions on n1 (offline), subscribed to c/# at QoS 2, on three durable nodes. */
  private void startWithSessionsOnN1() throws Exception {
    nodes = ProcessCluster.startDurable(3, dir, ROOMY_QUEUES, List.of("-Xmx256m"));
    for (int s = 0; s < SUBSCRIBERS; s++) {
      RawSessionSubscriber sub = new RawSessionSubscriber("sub" + s, 100);
      subs.add(sub);
      sub.connect(nodes.mqttPort(0), true);
      sub.subscribe("c/#", 2);
      sub.disconnect();
    }
  }

  private int totalAcked() {
    return pubs.stream().mapToInt(p -> p.acked().size()).sum();
  }

  private void stopPublishers() throws InterruptedException {
    for (NumberedPublisher p : pubs) {
      p.stop(Duration.ofSeconds(10));
    }
  }

  private void assertEverySessionHasEveryAcknowledgedMessage() {
    for (RawSessionSubscriber sub : subs) {
      assertTrue(sub.connect(nodes.mqttPort(0), false), sub.id + ": Session Present");
      sub.readUntil(() -> pubs.stream().allMatch(p -> sub.receipts.missing(p.name(),
          p.acked()).isEmpty()), Duration.ofSeconds(5), BOUND);
      for (NumberedPublisher p : pubs) {
        List<Integer> missing = sub.receipts.missing(p.name(), p.acked());
        assertTrue(missing.isEmpty(), sub.id + ": acknowledged to " + p.name()
            + ", never delivered: " + Receipts.brief(missing) + " (outcomes "
            + p.outcomes() + ")");
      }
    }
  }
}

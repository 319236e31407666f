package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three durable node processes: persistent sessions held on n1, QoS 1 publishers on n2 and n3;
 * n1 is killed with kill -9 under that load and restarted on its data directory. The sessions
 * come back (Session Present 1) with every acknowledged message n1 had taken before the kill;
 * what is lost is at most what the publishers' nodes report dropping: forwards n1 had not
 * acknowledged when it died (including ones sent after its restart, before the senders saw its
 * new incarnation), which a sender drops when the peer comes back as a new incarnation (see
 * docs/FAULTS.md, "Not covered yet"). This asserts that gap as it is, so that closing it shows
 * here. In the faults profile, with the randomized runs: three node processes and a kill, and a
 * known gap, are not for every build.
 */
@Tag("faults")
class DurableClusterKillTest {
  private static final Duration BOUND = Duration.ofSeconds(30);
  private static final int SUBSCRIBERS = 2;

  @TempDir Path dir;

  @Test
  void aNodeKilledUnderLoadLosesOnlyTheForwardsItsPeersDropForItsNewIncarnation()
      throws Exception {
    List<RawSessionSubscriber> subs = new ArrayList<>();
    List<NumberedPublisher> pubs = new ArrayList<>();
    try (ProcessCluster nodes = ProcessCluster.startDurable(3, dir, "", List.of("-Xmx256m"))) {
      try {
        for (int s = 0; s < SUBSCRIBERS; s++) {
          RawSessionSubscriber sub = new RawSessionSubscriber("sub" + s, 100);
          subs.add(sub);
          sub.connect(nodes.mqttPort(0), true);
          sub.subscribe("c/#", 1);
          sub.disconnect();
        }
        // Routes converged: a message from each publisher's node reaches the sessions.
        for (int n = 1; n <= 2; n++) {
          pubs.add(NumberedPublisher.connect("p" + n, ClusterFixture.HOST, nodes.mqttPort(n),
              "c/p" + n, MqttQos.AT_LEAST_ONCE));
        }
        pubs.forEach(p -> p.start(100, 3000, BOUND));
        await(BOUND, () -> pubs.stream().allMatch(p -> p.acked().size() >= 200),
            "200 acknowledged per publisher");
        nodes.kill9(0);
        int ackedAtKill = pubs.stream().mapToInt(p -> p.acked().size()).sum();
        nodes.restart(0);
        await(BOUND, () -> pubs.stream().mapToInt(p -> p.acked().size()).sum()
            >= ackedAtKill + 200, "more acknowledged after the restart");
        for (NumberedPublisher p : pubs) {
          p.stop(Duration.ofSeconds(10));
        }

        int[] dropped = new int[3];
        for (int n = 1; n <= 2; n++) {
          dropped[n] = Integer.parseInt(nodes.awaitLine(n, Pattern.compile(
              "peer n1 restarted: (\\d+) forwards it had not acknowledged are dropped"), 10)
              .group(1));
        }
        for (RawSessionSubscriber sub : subs) {
          assertTrue(sub.connect(nodes.mqttPort(0), false), sub.id + ": Session Present");
          sub.readUntil(() -> pubs.stream().allMatch(p -> sub.receipts.missing(p.name(),
              p.acked()).isEmpty()), Duration.ofSeconds(5), BOUND);
          for (int n = 1; n <= 2; n++) {
            NumberedPublisher p = pubs.get(n - 1);
            List<Integer> missing = sub.receipts.missing(p.name(), p.acked());
            // At most what was dropped: n1 may have taken a forward whose ack it did not send.
            assertTrue(missing.size() <= dropped[n], sub.id + ": acknowledged to " + p.name()
                + ", never delivered, beyond the " + dropped[n] + " n" + (n + 1) + " dropped: "
                + Receipts.brief(missing) + " (outcomes " + p.outcomes() + ")");
          }
        }
      } finally {
        nodes.saveLogs(Path.of("target", "durable-cluster-kill"));
        for (NumberedPublisher p : pubs) {
          p.close(Duration.ofSeconds(2));
        }
        subs.forEach(RawSessionSubscriber::close);
      }
    }
  }
}

package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.simqtt.config.NodeSettings;
import io.simqtt.config.SettingsLoader;
import io.simqtt.core.Broker;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** A node refuses peers that are not in its list or cannot prove the cluster secret. */
@Timeout(60)
class PeerAdmissionTest {
  private static final Duration NEVER = Duration.ofSeconds(3);

  private ClusterFixture cluster;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger peerLogger = (Logger) LoggerFactory.getLogger("io.simqtt.peer");

  @BeforeEach
  void start() {
    logs.start();
    peerLogger.addAppender(logs);
    cluster = ClusterFixture.start(3);
  }

  @AfterEach
  void stop() {
    peerLogger.detachAppender(logs);
    cluster.close();
  }

  @Test
  void aListedNodeWithTheWrongSecretIsRefused() throws Exception {
    // n3 goes away and an impostor takes its id and peer port, with another secret.
    cluster.stop(2);
    String rogueConf = rogueConfig("n3", cluster.peerPort(2), "not-the-cluster-secret-000000");
    try (Rogue rogue = Rogue.start(rogueConf)) {
      sleepWatching(NEVER, rogue);
      assertFalse(rogue.cluster.allLinksUp(), "rogue links: " + rogue.cluster.linkStates());
      assertNotEquals("UP", cluster.cluster(0).linkStates().get("n3"));
      assertNotEquals("UP", cluster.cluster(1).linkStates().get("n3"));
      assertTrue(refusalLogged("n3"), "n1 or n2 logs the refusal of n3; logged: " + lines());
      assertFalse(cluster.routes(0, "anything", 2), "no routes from the impostor");
    }
  }

  @Test
  void aNodeNotInTheListIsRefusedEvenWithTheRightSecret() throws Exception {
    String rogueConf = rogueConfig("n9", ClusterFixture.freePorts(1)[0], ClusterFixture.SECRET);
    try (Rogue rogue = Rogue.start(rogueConf)) {
      sleepWatching(NEVER, rogue);
      assertFalse(rogue.cluster.allLinksUp(), "rogue links: " + rogue.cluster.linkStates());
      assertTrue(refusalLogged("n9"), "the refusal of n9 is logged; logged: " + lines());
      cluster.awaitLinksUp(ClusterFixture.WAIT); // the real members are undisturbed
    }
  }

  /** A config that lists n1 and n2 of the fixture as peers. */
  private String rogueConfig(String id, int peerPort, String secret) {
    return "node.id = \"" + id + "\"\n"
        + "mqtt.tcp { host = \"127.0.0.1\", port = 0 }\n"
        + "cluster {\n  name = \"fixture\"\n  secret = \"" + secret + "\"\n"
        + "  listen { host = \"127.0.0.1\", port = " + peerPort + " }\n"
        + "  peers = [ { id = \"n1\", host = \"127.0.0.1\", port = " + cluster.peerPort(0) + " },"
        + " { id = \"n2\", host = \"127.0.0.1\", port = " + cluster.peerPort(1) + " } ]\n}\n";
  }

  /** Waits {@code d}, failing at once should any rogue link come up. */
  private static void sleepWatching(Duration d, Rogue rogue) throws InterruptedException {
    long end = System.nanoTime() + d.toNanos();
    while (System.nanoTime() < end) {
      assertFalse(rogue.cluster.linkStates().containsValue("UP"),
          "a rogue link came up: " + rogue.cluster.linkStates());
      Thread.sleep(50);
    }
  }

  private boolean refusalLogged(String rogueId) {
    return lines().stream().anyMatch(l -> l.toLowerCase().contains("refus") && l.contains(rogueId));
  }

  private List<String> lines() {
    return List.copyOf(logs.list).stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  /** A node outside the fixture. */
  private record Rogue(Broker broker, PeerCluster cluster) implements AutoCloseable {
    static Rogue start(String hocon) throws InterruptedException {
      NodeSettings s = SettingsLoader.fromString(hocon);
      PeerCluster c = new PeerCluster(s);
      Broker b = new Broker(s, c);
      b.start();
      return new Rogue(b, c);
    }

    @Override
    public void close() {
      broker.close();
    }
  }
}

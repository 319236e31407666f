package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.simqtt.config.NodeSettings;
import io.simqtt.config.SettingsLoader;
import io.simqtt.core.Broker;
import io.simqtt.proto.peer.Hello;
import io.simqtt.proto.peer.PeerFrame;
import io.simqtt.proto.peer.PeerReply;
import io.simqtt.proto.peer.PeerServiceGrpc;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
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

  @Test
  void aRecordedHelloReplayedOnAnotherStreamIsRefused() throws Exception {
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress(ClusterFixture.HOST, cluster.peerPort(0))
            .usePlaintext()
            .build();
    try {
      // What an eavesdropper holds: n2's valid Hello to n1 from an earlier stream.
      Stream first = Stream.open(channel);
      ByteString firstChallenge = first.next().getChallenge().getNonce();
      Hello recorded = cluster.cluster(1).handshake()
          .hello("n1", firstChallenge, Handshake.newChallenge(), 0, Map.of());
      first.send(recorded);
      assertTrue(first.next().hasHelloAccepted(), "the Hello is good on its own stream");
      first.close();

      Stream replay = Stream.open(channel);
      assertTrue(replay.next().hasChallenge());
      replay.send(recorded);
      Throwable refused = replay.error();
      assertEquals(Status.Code.PERMISSION_DENIED, Status.fromThrowable(refused).getCode(),
          "replayed Hello: " + refused);
    } finally {
      channel.shutdownNow();
    }
  }

  /** One Link stream opened by the test, as a peer would. */
  private static final class Stream {
    private final BlockingQueue<Object> replies = new LinkedBlockingQueue<>();
    private StreamObserver<PeerFrame> frames;

    static Stream open(ManagedChannel channel) {
      Stream s = new Stream();
      s.frames = PeerServiceGrpc.newStub(channel).link(new StreamObserver<>() {
        @Override
        public void onNext(PeerReply r) {
          s.replies.add(r);
        }

        @Override
        public void onError(Throwable t) {
          s.replies.add(t);
        }

        @Override
        public void onCompleted() {
          s.replies.add(new IllegalStateException("completed"));
        }
      });
      return s;
    }

    void send(Hello h) {
      frames.onNext(PeerFrame.newBuilder().setHello(h).build());
    }

    PeerReply next() throws InterruptedException {
      Object o = replies.poll(5, TimeUnit.SECONDS);
      if (o instanceof PeerReply r) {
        return r;
      }
      throw new AssertionError("expected a reply, got " + o);
    }

    Throwable error() throws InterruptedException {
      Object o = replies.poll(5, TimeUnit.SECONDS);
      if (o instanceof Throwable t) {
        return t;
      }
      throw new AssertionError("expected the stream to fail, got " + o);
    }

    void close() {
      frames.onCompleted();
    }
  }

  /** A config that lists n1 and n2 of the fixture as peers. */
  private String rogueConfig(String id, int peerPort, String secret) {
    return "node.id = \"" + id + "\"\n"
        + "mqtt.listeners.tcp { host = \"127.0.0.1\", port = 0 }\n"
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

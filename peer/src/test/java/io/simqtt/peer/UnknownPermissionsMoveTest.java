package io.simqtt.peer;

import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.RawClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two durable node processes whose authorizer is an HTTP service ({@link HttpAuthorizerStub}),
 * by which client "sub" may not receive home/secret/...; sub's persistent session, subscribed to
 * home/#, is on n1, and n1 is killed and restarted while the service is down for it: its
 * permissions there are unknown, so what is routed to it is queued unchecked. Then sub connects
 * to n2, which answers for it. What the session queued on n1 moves with it (one message on the
 * heap, the rest from n1's disk to n2's, read back there page by page), and what n1 still
 * routes to it afterwards is redirected to n2: sub gets neither message it may not receive.
 * Before, n2 installed the state as it came and delivered the redirected messages as they came,
 * both unchecked, and sub got home/secret/... twice.
 */
@Timeout(180)
class UnknownPermissionsMoveTest {
  private static final int N1 = 0;
  private static final int N2 = 1;
  private static final Duration QUIET = Duration.ofSeconds(1);

  @TempDir Path dir;
  private HttpAuthorizerStub authorizer;
  private ProcessCluster nodes;

  @AfterEach
  void tearDown() throws Exception {
    try {
      if (nodes != null) {
        nodes.saveLogs(Path.of("target", "unknown-permissions-move"));
        nodes.close();
      }
    } finally {
      if (authorizer != null) {
        authorizer.close();
      }
    }
  }

  @Test
  void aSessionThatMovesWhileItsPermissionsAreUnknownGetsOnlyWhatItsClientMayReceive()
      throws Exception {
    authorizer = new HttpAuthorizerStub();
    authorizer.denyReading("sub", "home/secret/");
    // One queued message on the heap: the rest moves page by page, to n2's disk.
    nodes = ProcessCluster.startDurable(2, dir, HttpAuthorizerStub.pluginConfig(dir)
        + "mqtt.sessions.queue-memory-messages = 1\n", List.of(authorizer.jvmOption()));
    try (RawClient sub = connect(N1, "sub", true)) {
      sub.subscribe("home/#", 1);
      sub.disconnect(ReasonCode.NORMAL_DISCONNECTION, MqttProperties.empty());
    }
    // Acknowledged once sub's copy is durable, and so its session written before it.
    publish(N1, "home/t0");

    authorizer.down("n1", "sub");
    nodes.kill9(N1);
    nodes.restart(N1);
    assertTrue(nodes.log(N1).stream().anyMatch(l -> l.contains("the authorizers could not be"
        + " asked for some sessions' permissions (at recovery")),
        "sub's permissions are unknown on n1");
    publish(N1, "home/secret/key", "home/t1");

    try (RawClient sub = connect(N2, "sub", false)) {
      assertEquals(List.of("home/t0", "home/t1"), sub.topicsUntilQuiet(QUIET),
          "what sub's session queued on n1 unchecked, checked on n2 before it went out");
      publish(N1, "home/secret/2", "home/t2");
      assertEquals(List.of("home/t2"), topicsUntilAndQuiet(sub, "home/t2"),
          "n1 redirects sub's deliveries unchecked: n2 checks them");
    }
  }

  private RawClient connect(int node, String clientId, boolean cleanStart) {
    RawClient c = RawClient.open(ClusterFixture.HOST, nodes.mqttPort(node), MqttVersion.MQTT_5);
    boolean present = c.connect(clientId, cleanStart, 60, RawClient.sessionExpiry(3600))
        .sessionPresent();
    assertEquals(!cleanStart, present, clientId + ": Session Present");
    return c;
  }

  /** A publisher on {@code node} sends one QoS 1 message to each topic; returns at the PUBACKs. */
  private void publish(int node, String... topics) {
    try (RawClient pub = connect(node, "pub", true)) {
      for (String topic : topics) {
        pub.publish(topic, 1, false, bytes("m"));
        assertEquals(ReasonCode.SUCCESS, pub.expect(PubResponse.class).reasonCode(), topic);
      }
    }
  }

  /** The topics {@code c} gets until {@code last} has come and then none for {@link #QUIET}. */
  private static List<String> topicsUntilAndQuiet(RawClient c, String last) {
    List<String> topics = new ArrayList<>();
    while (!topics.contains(last)) {
      List<String> more = c.topicsUntilQuiet(RawClient.WAIT);
      if (more.isEmpty()) {
        throw new AssertionError(last + " not received; got " + topics);
      }
      topics.addAll(more);
    }
    topics.addAll(c.topicsUntilQuiet(QUIET));
    return topics;
  }
}

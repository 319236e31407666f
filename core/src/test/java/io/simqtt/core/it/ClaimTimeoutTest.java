package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.hiveConnected;
import static io.simqtt.core.it.Clients.inbox;
import static io.simqtt.core.it.Clients.take;
import static io.simqtt.core.it.Clients.text;
import static io.simqtt.core.it.ConnectCheckTimeoutTest.assertRefusedServerUnavailable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.simqtt.core.cluster.ClaimResult;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.session.RecordingCluster;
import io.simqtt.core.session.SessionStore;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A CONNECT whose claim of its session in the cluster is not answered within {@code
 * mqtt.limits.connect-timeout} (in a real cluster: a large session still arriving from another
 * node, or {@code cluster.claim-timeout} beyond that bound): bounded as its credential check and
 * its session's read are. Over a cluster whose claims for one client are answered only when the
 * test says so.
 */
class ClaimTimeoutTest {

  /**
   * alice is connected and subscribed; two takeovers of her session wait for claims nobody
   * answers: past the timeout each client gets CONNACK 0x88 (3.1.1: 3), the connection closes,
   * counted, and the claim is cancelled, which tells the cluster the connect was refused. When
   * the cluster answers them after all ("nobody else holds alice"), nothing attaches: alice stays
   * connected with her subscription. Before, the connection was closed at the timeout without a
   * CONNACK, and the late answer took alice's session over for a client that was gone.
   */
  @Test
  void aClaimNotAnsweredInTimeIsRefusedServerUnavailableAndItsLateAnswerChangesNothing()
      throws Exception {
    HeldClaims cluster = new HeldClaims();
    String config = """
        mqtt.sys.interval = 0
        mqtt.limits.connect-timeout = 500ms
        """;
    try (BrokerFixture f = BrokerFixture.start(config, SessionStore.MEMORY, cluster)) {
      Mqtt5BlockingClient alice = hiveConnected(f, "alice");
      BlockingQueue<Mqtt5Publish> received = inbox(alice);
      alice.subscribeWith().topicFilter("t").qos(MqttQos.AT_LEAST_ONCE).send();
      cluster.hold("alice");

      assertRefusedServerUnavailable(f, MqttVersion.MQTT_5, "alice");
      assertRefusedServerUnavailable(f, MqttVersion.MQTT_3_1_1, "alice");
      assertEquals(2, f.broker().metrics().claimsGivenUp());
      assertEquals(2, f.broker().metrics().connectsRefused(ReasonCode.SERVER_UNAVAILABLE));
      assertEquals(2, cluster.held.size());
      assertTrue(cluster.held.stream().allMatch(CompletableFuture::isCancelled),
          "each claim given up: the cluster takes its connect as refused");

      AtomicInteger attached = new AtomicInteger();
      cluster.held.forEach(c -> c.complete(new ClaimResult(ClaimResult.Outcome.NONE, null, 0,
          attached::incrementAndGet, () -> {})));
      Mqtt5BlockingClient bob = hiveConnected(f, "bob");
      bob.publishWith().topic("t").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("after")).send();

      assertEquals("after", text(take(received)), "alice's session kept her subscription");
      assertTrue(alice.getState().isConnected(), "alice's connection was not taken over");
      assertEquals(0, attached.get(), "no connection attached for a claim given up");
      bob.disconnect();
      alice.disconnect();
    }
  }

  /** A cluster in which nobody else holds a client; claims for one client id wait until told. */
  private static final class HeldClaims extends RecordingCluster {
    final List<CompletableFuture<ClaimResult>> held = new CopyOnWriteArrayList<>();
    private volatile String holding;

    void hold(String clientId) {
      holding = clientId;
    }

    @Override
    public CompletableFuture<ClaimResult> claim(
        String clientId, boolean cleanStart, boolean keepsSession) {
      if (!clientId.equals(holding)) {
        return super.claim(clientId, cleanStart, keepsSession);
      }
      CompletableFuture<ClaimResult> answer = new CompletableFuture<>();
      held.add(answer);
      return answer;
    }
  }
}

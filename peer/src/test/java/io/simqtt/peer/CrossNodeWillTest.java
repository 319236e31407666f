package io.simqtt.peer;

import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.drain;
import static io.simqtt.core.it.Clients.inbox;
import static io.simqtt.core.it.Clients.take;
import static io.simqtt.core.it.Clients.text;
import static io.simqtt.peer.ClusterClients.QUIET;
import static io.simqtt.peer.ClusterClients.connect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.it.RawClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Wills of clients on one node reach subscribers on others; a takeover elsewhere cancels one. */
@Timeout(60)
class CrossNodeWillTest extends SharedClusterTest {
  @Test
  void willOfAClientOnAReachesASubscriberOnC() throws Exception {
    Mqtt5BlockingClient watcher = connect(cluster, C, "will-watch");
    BlockingQueue<Mqtt5Publish> in = inbox(watcher);
    watcher.subscribeWith().topicFilter("will/#").qos(MqttQos.AT_LEAST_ONCE).send();
    cluster.awaitRoute(A, "will/dying", C);
    try (RawClient dying = cluster.raw(A, MqttVersion.MQTT_5)) {
      dying.connect(RawClient.withWill(
          RawClient.connectPacket(MqttVersion.MQTT_5, "will-dying", true, 60, null),
          new MqttPacket.Will("will/dying", bytes("gone"), 1, false, MqttProperties.empty())));
    } // closed without DISCONNECT: the will goes out
    Mqtt5Publish will = take(in, ClusterFixture.WAIT);
    assertEquals("will/dying", will.getTopic().toString());
    assertEquals("gone", text(will));
    assertEquals(List.of(), drain(in, QUIET), "once");
    watcher.disconnect();
  }

  @Test
  void delayedWillIsCancelledWhenTheClientResumesOnAnotherNode() throws Exception {
    Mqtt5BlockingClient watcher = connect(cluster, C, "wd-watch");
    BlockingQueue<Mqtt5Publish> in = inbox(watcher);
    watcher.subscribeWith().topicFilter("wd/#").qos(MqttQos.AT_LEAST_ONCE).send();
    cluster.awaitRoute(A, "wd/x", C);
    cluster.awaitRoute(B, "wd/x", C);
    MqttProperties willProps = MqttProperties.empty();
    willProps.willDelayInterval = 2L;
    RawClient onA = cluster.raw(A, MqttVersion.MQTT_5);
    onA.connect(RawClient.withWill(
        RawClient.connectPacket(MqttVersion.MQTT_5, "wd-x", true, 60, RawClient.sessionExpiry(300)),
        new MqttPacket.Will("wd/x", bytes("should-not"), 1, false, willProps)));
    onA.close(); // network gone: the will is now only delayed
    try (RawClient onB = cluster.raw(B, MqttVersion.MQTT_5)) {
      assertTrue(onB.connect("wd-x", false, 60, RawClient.sessionExpiry(300)).sessionPresent());
      Thread.sleep(3000); // past the will delay
      assertEquals(List.of(), drain(in, QUIET), "the resumed session cancelled the delayed will");
    }
    watcher.disconnect();
  }

  @Test
  void willAfterATakeoverWithCleanStartIsPublishedOnce() throws Exception {
    // MQTT 5 3.1.3.2.2 / 3.1.2.5: a new connection with Clean Start ends the old session, so its
    // will (delay 0) is published, exactly once, wherever the session lived.
    Mqtt5BlockingClient watcher = connect(cluster, C, "wc-watch");
    BlockingQueue<Mqtt5Publish> in = inbox(watcher);
    watcher.subscribeWith().topicFilter("wc/#").qos(MqttQos.AT_LEAST_ONCE).send();
    cluster.awaitRoute(A, "wc/x", C);
    cluster.awaitRoute(B, "wc/x", C);
    try (RawClient onA = cluster.raw(A, MqttVersion.MQTT_5);
        RawClient onB = cluster.raw(B, MqttVersion.MQTT_5)) {
      onA.connect(RawClient.withWill(
          RawClient.connectPacket(MqttVersion.MQTT_5, "wc-x", true, 60, RawClient.sessionExpiry(300)),
          new MqttPacket.Will("wc/x", bytes("old-will"), 1, false, MqttProperties.empty())));
      onB.connect("wc-x", true, 60, null);
      assertTrue(onA.closedWithin(Duration.ofSeconds(5)));
      assertEquals("old-will", text(take(in, ClusterFixture.WAIT)));
      assertEquals(List.of(), drain(in, QUIET), "once");
    }
    watcher.disconnect();
  }
}

package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.RawClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * mqtt.sessions.max-sessions in a cluster: a session another node hands over exists already, so
 * a node at its cap still takes it (a reconnect is never refused), while a new client id is.
 */
@Timeout(60)
class ClusterSessionCapTest {
  private static final int A = 0;
  private static final int B = 1;

  @Test
  void aNodeAtItsCapTakesHandedOverSessionsButNoNewOnes() throws Exception {
    try (ClusterFixture cluster = ClusterFixture.start(2, "mqtt.sessions.max-sessions = 1")) {
      try (RawClient x = cluster.raw(A, MqttVersion.MQTT_5)) {
        assertFalse(x.connect("cap-x", true, 0, RawClient.sessionExpiry(300)).sessionPresent());
        x.subscribe("cap/x", 1);
        x.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
        assertTrue(x.closedWithin(Duration.ofSeconds(3)));
      }
      try (RawClient y = cluster.raw(B, MqttVersion.MQTT_5)) {
        y.connect("cap-y", true, 0, RawClient.sessionExpiry(300));
        assertEquals(1, cluster.broker(B).sessions().size());

        try (RawClient xOnB = cluster.raw(B, MqttVersion.MQTT_5)) {
          assertTrue(xOnB.connect("cap-x", false, 0, RawClient.sessionExpiry(300))
                  .sessionPresent(),
              "the session A held, handed over to B although B is at its cap");
          assertEquals(2, cluster.broker(B).sessions().size());
        }
        try (RawClient z = cluster.raw(B, MqttVersion.MQTT_5)) {
          z.send(RawClient.connectPacket(MqttVersion.MQTT_5, "cap-z", true, 0, null));
          z.expectConnAck(ReasonCode.QUOTA_EXCEEDED);
        }
        assertEquals(1, cluster.broker(B).metrics().connectsRefused(ReasonCode.QUOTA_EXCEEDED));
      }
    }
  }

  /**
   * A client refused at one node's cap (no other node held its session) goes to another node at
   * once, as the refusal tells it to: that node's claim must not wait on the refused connect,
   * which will never attach (it used to be held until the claim timed out: 0x88 after 3 s).
   */
  @Test
  void aConnectRefusedAtTheCapDoesNotHoldBackTheClientsConnectOnAnotherNode() throws Exception {
    try (ClusterFixture cluster = ClusterFixture.start(2, "mqtt.sessions.max-sessions = 1");
        RawClient y = cluster.raw(A, MqttVersion.MQTT_5)) {
      y.connect("cap-y", true, 0, RawClient.sessionExpiry(300));
      try (RawClient x = cluster.raw(A, MqttVersion.MQTT_5)) {
        x.send(RawClient.connectPacket(MqttVersion.MQTT_5, "cap-x", true, 0, null));
        x.expectConnAck(ReasonCode.QUOTA_EXCEEDED);
      }
      try (RawClient xOnB = cluster.raw(B, MqttVersion.MQTT_5)) {
        ConnAck ack =
            xOnB.connect(
                RawClient.connectPacket(
                    MqttVersion.MQTT_5, "cap-x", false, 0, RawClient.sessionExpiry(300)));
        assertEquals(
            RawClient.hex(ReasonCode.SUCCESS), RawClient.hex(ack.reasonCode()), "CONNACK on B");
        assertFalse(ack.sessionPresent(), "no node held a session for cap-x");
      }
      assertEquals(0, cluster.broker(B).metrics().connectsRefused(ReasonCode.SERVER_UNAVAILABLE));
    }
  }
}

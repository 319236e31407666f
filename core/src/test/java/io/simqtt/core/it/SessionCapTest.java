package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.session.SessionRegistry;
import org.junit.jupiter.api.Test;

/**
 * mqtt.sessions.max-sessions: a CONNECT that would create a session beyond the cap is refused
 * (0x97 on MQTT 5, 3 on 3.1.1) and counted; a reconnect to a session the node holds never is.
 */
class SessionCapTest {

  private static RawClient refusedConnect(BrokerFixture f, MqttVersion version, String id) {
    RawClient c = RawClient.open(f, version);
    c.send(RawClient.connectPacket(version, id, version.isV5(), 0,
        version.isV5() ? RawClient.sessionExpiry(300) : null));
    return c;
  }

  @Test
  void connectsBeyondTheCapAreRefusedReconnectsAreNot() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.sessions.max-sessions = 3");
        RawClient offline = RawClient.open(f, MqttVersion.MQTT_5);
        RawClient v3 = RawClient.open(f, MqttVersion.MQTT_3_1_1);
        RawClient transient5 = RawClient.open(f, MqttVersion.MQTT_5)) {
      SessionRegistry sessions = f.broker().sessions();
      BrokerMetrics metrics = f.broker().metrics();
      offline.connect("offline", true, 0, RawClient.sessionExpiry(300));
      offline.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
      v3.connect("v3-persistent", false, 0, null);
      transient5.connect("transient", true, 0, null);
      assertEquals(3, sessions.size());

      try (RawClient refused = refusedConnect(f, MqttVersion.MQTT_5, "one-too-many")) {
        refused.expectConnAck(ReasonCode.QUOTA_EXCEEDED);
      }
      try (RawClient refused = refusedConnect(f, MqttVersion.MQTT_3_1_1, "one-too-many-v3")) {
        // Return code 3 (Server unavailable), which the client codec reads as 0x88.
        refused.expectConnAck(ReasonCode.SERVER_UNAVAILABLE);
      }
      assertEquals(2, metrics.connectsRefused(ReasonCode.QUOTA_EXCEEDED));
      assertEquals(3, sessions.size());

      // Reconnects to sessions this node holds, resumed or started clean, are never refused.
      try (RawClient back = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertTrue(back.connect("offline", false, 0, RawClient.sessionExpiry(300))
            .sessionPresent());
        back.disconnect(ReasonCode.NORMAL_DISCONNECTION, RawClient.sessionExpiry(300));
      }
      try (RawClient again = RawClient.open(f, MqttVersion.MQTT_3_1_1)) {
        assertFalse(again.connect("v3-persistent", true, 0, null).sessionPresent());
      }
      assertEquals(2, metrics.connectsRefused(ReasonCode.QUOTA_EXCEEDED));

      // A session that ends makes room for a new one.
      transient5.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
      await("the transient session ended", () -> sessions.get("transient") == null);
      try (RawClient now = RawClient.open(f, MqttVersion.MQTT_5)) {
        now.connect("one-too-many", true, 0, null);
      }
      assertEquals(2, metrics.connectsRefused(ReasonCode.QUOTA_EXCEEDED));
    }
  }
}

package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;

/** Stored sessions as members of $share/g/t, for tests of what a member holds on disk. */
final class SharedMembers {
  private SharedMembers() {}

  /**
   * {@code clientId}'s stored session (clean start, Session Expiry 1 h), a member of $share/g/t
   * at QoS 1, offline.
   */
  static void offlineMember(BrokerFixture f, String clientId) {
    try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      assertEquals(ReasonCode.SUCCESS, c.connect(new Connect(MqttVersion.MQTT_5, true, 60,
          clientId, null, null, null, RawClient.sessionExpiry(3600))).reasonCode());
      c.subscribe("$share/g/t", 1);
      c.disconnect(ReasonCode.NORMAL_DISCONNECTION, MqttProperties.empty());
    }
    await(clientId + " offline", () -> !f.broker().sessions().get(clientId).isConnected());
  }

  /** Publishes "1" to "{@code last}" on t at QoS 1, each once its PUBACK came. */
  static void publishNumbered(RawClient pub, int last) {
    for (int n = 1; n <= last; n++) {
      pub.publish("t", 1, false, bytes(Integer.toString(n)));
      pub.expect(PubResponse.class);
    }
  }
}

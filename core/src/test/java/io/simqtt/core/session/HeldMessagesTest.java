package io.simqtt.core.session;

import static io.simqtt.core.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.it.BrokerFixture;
import io.simqtt.core.it.RawClient;
import io.simqtt.core.session.SessionRegistry.HeldMessages;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link SessionRegistry#heldMessages}: the queued and in-flight totals behind the metrics, read
 * without a task in any session, so reading them leaves idle sessions as small as they were.
 */
class HeldMessagesTest {
  private static final int IDLE = 40;

  @Test
  void readingTotalsCreatesNoSessionInbox() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.sys.interval = 0")) {
      SessionRegistry sessions = f.broker().sessions();
      List<RawClient> connected = new ArrayList<>();
      try {
        for (int i = 0; i < IDLE; i++) {
          RawClient c = RawClient.open(f, MqttVersion.MQTT_3_1_1);
          c.connect("idle-" + i, false, 0, null);
          c.subscribe("idle/" + i, 1);
          if (i % 2 == 0) {
            connected.add(c);
          } else {
            c.close();
          }
        }
        await("offline sessions detached", () -> f.broker().metrics().currentConnections()
            == IDLE / 2);
        assertEquals(IDLE, sessions.size());
        assertEquals(0, SessionInboxes.count(sessions), "idle sessions ran every task inline");

        assertEquals(new HeldMessages(0, 0), sessions.heldMessages());
        assertEquals(0, SessionInboxes.count(sessions), "inboxes after reading the totals");

        // What the metrics did before: one task per session from this thread.
        sessions.readEach(Session::queuedCount).get(5, TimeUnit.SECONDS);
        assertEquals(IDLE, SessionInboxes.count(sessions), "readEach gives each an inbox");
      } finally {
        connected.forEach(RawClient::close);
      }
    }
  }

  @Test
  void totalsCountQueuedAndInflightMessages() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.sys.interval = 0");
        RawClient slow = RawClient.open(f, MqttVersion.MQTT_5);
        RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
      RawClient offline = RawClient.open(f, MqttVersion.MQTT_3_1_1);
      offline.connect("offline", false, 0, null);
      offline.subscribe("held/t", 1);
      offline.close();
      MqttProperties p = MqttProperties.empty();
      p.receiveMaximum = 2;
      slow.connect("slow", true, 0, p);
      slow.subscribe("held/t", 1);
      pub.connect("pub");
      for (int i = 0; i < 5; i++) {
        pub.publish("held/t", 1, false, new byte[] {(byte) i});
      }
      // offline: 5 queued; slow: 2 in flight (never acknowledged), 3 queued.
      SessionRegistry sessions = f.broker().sessions();
      await("totals", () -> sessions.heldMessages().equals(new HeldMessages(8, 2)));
      slow.expect(Publish.class);
      slow.puback(slow.expect(Publish.class).packetId());
      await("one acknowledged", () -> sessions.heldMessages().equals(new HeldMessages(7, 2)));
    }
  }
}

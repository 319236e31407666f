package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.session.RecordingSessionStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Durable mode: a CONNECT whose attach must wait for its session's read of the disk (a clean
 * start handing on the old state's shared deliveries, some only on disk) while the store fails
 * every read (tried again after growing pauses).
 */
class AttachReadTimeoutTest {
  private static final Duration QUIET = Duration.ofMillis(300);
  private static final String CONFIG = """
      mqtt.sys.interval = 0
      mqtt.sessions.queue-memory-messages = 2
      mqtt.limits.connect-timeout = 500ms
      """;

  /**
   * The client gets CONNACK 0x88 (MQTT 5) or 3 (3.1.1) once the wait passes {@code
   * mqtt.limits.connect-timeout}, and the connection closes, counted. Once the store reads again
   * a connect goes through, and the old state's shared deliveries reach the other member, once
   * each. Before, the client got no CONNACK for as long as the reads failed, and the broker did
   * not check its keep alive meanwhile.
   */
  @Test
  void aConnectWaitingForAFailingReadIsAnsweredServerUnavailableAndALaterOneWorks()
      throws Exception {
    RecordingSessionStore store = new RecordingSessionStore();
    try (BrokerFixture f = BrokerFixture.start(CONFIG, store)) {
      offlineMember(f, "c");
      try (RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
        pub.connect("pub");
        for (int n = 1; n <= 4; n++) { // c, the only member: 1 and 2 on its heap, 3 and 4 on disk
          pub.publish("t", 1, false, bytes(Integer.toString(n)));
          pub.expect(PubResponse.class);
        }
      }
      offlineMember(f, "d");
      store.failPageReads(Integer.MAX_VALUE);

      try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
        ConnAck ack = c.connect(connect(MqttVersion.MQTT_5, "c"));
        assertEquals(ReasonCode.SERVER_UNAVAILABLE, ack.reasonCode());
        assertFalse(ack.sessionPresent());
        assertTrue(c.closedWithin(Duration.ofSeconds(5)), "a refused connection is closed");
      }
      try (RawClient c = RawClient.open(f, MqttVersion.MQTT_3_1_1)) {
        ConnAck ack = c.connect(connect(MqttVersion.MQTT_3_1_1, "c"));
        // Decoded back from the 3.1.1 return code 3 (server unavailable).
        assertEquals(ReasonCode.SERVER_UNAVAILABLE, ack.reasonCode());
        assertTrue(c.closedWithin(Duration.ofSeconds(5)), "a refused connection is closed");
      }
      assertEquals(2, f.broker().metrics().attachesGivenUp());
      assertEquals(2, f.broker().metrics().connectsRefused(ReasonCode.SERVER_UNAVAILABLE));
      assertTrue(store.failedPageReads() > 0);

      store.failPageReads(0);
      try (RawClient c = connectOnceTheStoreReads(f)) {
        c.subscribe("u", 1);
      }
      try (RawClient d = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertTrue(d.connect(new Connect(MqttVersion.MQTT_5, false, 60, "d", null, null, null,
            RawClient.sessionExpiry(3600))).sessionPresent());
        assertEquals(List.of("1", "2", "3", "4"), read(d), "c's shared deliveries, once each");
      }
    }
  }

  /**
   * Connects c with clean start as a client does after 0x88: again, until it is accepted (the
   * read is tried again after a pause that grew while it failed). Bounded.
   */
  private static RawClient connectOnceTheStoreReads(BrokerFixture f) {
    for (int attempt = 0; attempt < 20; attempt++) {
      RawClient c = RawClient.open(f, MqttVersion.MQTT_5);
      ConnAck ack = c.connect(connect(MqttVersion.MQTT_5, "c"));
      if (ack.reasonCode() == ReasonCode.SUCCESS) {
        assertFalse(ack.sessionPresent(), "clean start");
        return c;
      }
      assertEquals(ReasonCode.SERVER_UNAVAILABLE, ack.reasonCode());
      c.close();
    }
    throw new AssertionError("no connect went through once the store read again");
  }

  /** {@code clientId}'s stored session, a member of $share/g/t at QoS 1, offline. */
  private static void offlineMember(BrokerFixture f, String clientId) {
    try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      assertEquals(ReasonCode.SUCCESS,
          c.connect(connect(MqttVersion.MQTT_5, clientId)).reasonCode());
      c.subscribe("$share/g/t", 1);
      c.disconnect(ReasonCode.NORMAL_DISCONNECTION, MqttProperties.empty());
    }
    await(clientId + " offline", () -> !f.broker().sessions().get(clientId).isConnected());
  }

  /** A CONNECT with clean start, keep alive 60 s; MQTT 5 with Session Expiry 1 h. */
  private static Connect connect(MqttVersion version, String clientId) {
    return new Connect(version, true, 60, clientId, null, null, null,
        version.isV5() ? RawClient.sessionExpiry(3600) : MqttProperties.empty());
  }

  /** The payloads {@code c} receives until it is quiet, each acknowledged. */
  private static List<String> read(RawClient c) {
    List<String> got = new ArrayList<>();
    MqttPacket next;
    while ((next = c.read(QUIET)) != null) {
      if (next instanceof Publish p) {
        got.add(Clients.text(p));
        c.puback(p.packetId());
      }
    }
    return got;
  }
}

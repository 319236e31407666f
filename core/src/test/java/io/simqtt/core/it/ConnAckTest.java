package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.hiveBuilder;
import static io.simqtt.core.it.Clients.hiveClient;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckRestrictions;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import java.time.Duration;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;

/** CONNECT negotiation: the CONNACK a client gets, its properties and refusals. */
class ConnAckTest {

  @Test
  void defaultConnAckAnnouncesLimitsAndNothingUnasked() {
    try (BrokerFixture f = BrokerFixture.start()) {
      Mqtt5BlockingClient c = hiveClient(f, "defaults");
      Mqtt5ConnAck ack = c.connectWith().keepAlive(30).sessionExpiryInterval(60).send();
      assertEquals(Mqtt5ConnAckReasonCode.SUCCESS, ack.getReasonCode());
      assertFalse(ack.isSessionPresent());
      Mqtt5ConnAckRestrictions r = ack.getRestrictions();
      assertEquals(1024 * 1024, r.getMaximumPacketSize());
      assertEquals(1024, r.getReceiveMaximum());
      assertEquals(64, r.getTopicAliasMaximum());
      assertEquals(MqttQos.EXACTLY_ONCE, r.getMaximumQos());
      assertTrue(r.isRetainAvailable());
      assertTrue(r.isWildcardSubscriptionAvailable());
      assertTrue(r.areSubscriptionIdentifiersAvailable());
      assertTrue(r.isSharedSubscriptionAvailable());
      assertTrue(ack.getServerKeepAlive().isEmpty(), "keep alive was not lowered");
      assertTrue(ack.getSessionExpiryInterval().isEmpty(), "expiry was not capped");
      assertTrue(ack.getAssignedClientIdentifier().isEmpty(), "the client chose its id");
      assertTrue(ack.getResponseInformation().isEmpty(), "not requested");
      c.disconnect();
    }
  }

  @Test
  void configuredRestrictionsAreAnnounced() {
    String conf =
        """
        mqtt.limits { receive-maximum = 5, max-packet-size = 64KiB, topic-alias-maximum = 7,
                      max-keep-alive = 10 }
        mqtt.sessions.max-session-expiry = 30
        mqtt.features { max-qos = 1, retain-available = false, wildcard-subscriptions = false,
                        subscription-identifiers = false, shared-subscriptions = false,
                        response-information = "resp/for/you" }
        """;
    try (BrokerFixture f = BrokerFixture.start(conf)) {
      Mqtt5BlockingClient c = hiveClient(f, "restricted");
      Mqtt5ConnAck ack =
          c.connectWith()
              .keepAlive(60)
              .sessionExpiryInterval(100)
              .restrictions()
              .requestResponseInformation(true)
              .applyRestrictions()
              .send();
      assertEquals(Mqtt5ConnAckReasonCode.SUCCESS, ack.getReasonCode());
      Mqtt5ConnAckRestrictions r = ack.getRestrictions();
      assertEquals(5, r.getReceiveMaximum());
      assertEquals(64 * 1024, r.getMaximumPacketSize());
      assertEquals(7, r.getTopicAliasMaximum());
      assertEquals(MqttQos.AT_LEAST_ONCE, r.getMaximumQos());
      assertFalse(r.isRetainAvailable());
      assertFalse(r.isWildcardSubscriptionAvailable());
      assertFalse(r.areSubscriptionIdentifiersAvailable());
      assertFalse(r.isSharedSubscriptionAvailable());
      assertEquals(10, ack.getServerKeepAlive().orElse(-1));
      assertEquals(30, ack.getSessionExpiryInterval().orElse(-1));
      assertEquals(
          "resp/for/you",
          ack.getResponseInformation().map(Object::toString).orElse(null));
      c.disconnect();

      // Values inside the limits are not echoed; response information only on request.
      Mqtt5BlockingClient d = hiveClient(f, "within");
      Mqtt5ConnAck ack2 = d.connectWith().keepAlive(5).sessionExpiryInterval(20).send();
      assertTrue(ack2.getServerKeepAlive().isEmpty());
      assertTrue(ack2.getSessionExpiryInterval().isEmpty());
      assertTrue(ack2.getResponseInformation().isEmpty());
      d.disconnect();
    }
  }

  @Test
  void keepAliveZeroIsRaisedToTheServerMaximum() {
    try (BrokerFixture f = BrokerFixture.start("mqtt.limits.max-keep-alive = 10");
        RawClient raw = RawClient.open(f, MqttVersion.MQTT_5)) {
      ConnAck ack = raw.connect("ka0", true, 0, null);
      assertEquals(10, ack.properties().serverKeepAlive);
    }
  }

  @Test
  void emptyClientIdGetsAnAssignedIdentifierOnV5() {
    try (BrokerFixture f = BrokerFixture.start()) {
      Mqtt5BlockingClient c = hiveBuilder(f, null).buildBlocking();
      Mqtt5ConnAck ack = c.connect();
      String assigned =
          ack.getAssignedClientIdentifier().map(Object::toString).orElseThrow();
      assertFalse(assigned.isEmpty());
      assertNotNull(f.broker().sessions().get(assigned), "session stored under the assigned id");

      try (RawClient raw = RawClient.open(f, MqttVersion.MQTT_5)) {
        ConnAck rawAck = raw.connect("", true, 30, null);
        assertNotNull(rawAck.properties().assignedClientIdentifier);
        assertNotEquals(assigned, rawAck.properties().assignedClientIdentifier);
      }
      c.disconnect();
    }
  }

  @Test
  void emptyClientIdOnV311NeedsCleanSession() throws Exception {
    try (BrokerFixture f = BrokerFixture.start()) {
      MqttClient paho = new MqttClient(f.uri(), "", new MemoryPersistence());
      MqttConnectOptions o = new MqttConnectOptions();
      o.setCleanSession(true);
      paho.connect(o);
      assertTrue(paho.isConnected());
      paho.disconnect();
      paho.close();

      try (RawClient raw = RawClient.open(f, MqttVersion.MQTT_3_1_1)) {
        ConnAck ack =
            raw.connect(RawClient.connectPacket(MqttVersion.MQTT_3_1_1, "", false, 30, null));
        // Decoded back from the 3.1.1 return code 2 (identifier rejected).
        assertEquals(ReasonCode.CLIENT_IDENTIFIER_NOT_VALID, ack.reasonCode());
        assertFalse(ack.sessionPresent());
        assertTrue(raw.closedWithin(Duration.ofSeconds(3)), "refused connection is closed");
      }
    }
  }

  @Test
  void authenticationMethodIsRefusedWithBadAuthenticationMethod() {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient raw = RawClient.open(f, MqttVersion.MQTT_5)) {
      MqttProperties p = MqttProperties.empty();
      p.authenticationMethod = "SCRAM-SHA-1";
      ConnAck ack = raw.connect(RawClient.connectPacket(MqttVersion.MQTT_5, "auth", true, 30, p));
      assertEquals(ReasonCode.BAD_AUTHENTICATION_METHOD, ack.reasonCode());
      assertFalse(ack.sessionPresent());
      assertTrue(raw.closedWithin(Duration.ofSeconds(3)));
      assertNull(f.broker().sessions().get("auth"), "no session for a refused client");
    }
  }

  @Test
  void withoutAPasswordFileNotAllowingAnonymousRefusesEveryone() throws Exception {
    try (BrokerFixture f = BrokerFixture.start(
        "mqtt.features.allow-anonymous = false\nmqtt.auth.failure-delay = 0")) {
      Mqtt5BlockingClient anon = hiveClient(f, "anon");
      Mqtt5ConnAckException e = assertThrows(Mqtt5ConnAckException.class, anon::connect);
      assertEquals(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED, e.getMqttMessage().getReasonCode());

      // Nothing can check a password, so no name is good enough.
      Mqtt5BlockingClient named = hiveClient(f, "named");
      Mqtt5ConnAckException ne = assertThrows(Mqtt5ConnAckException.class, () -> named
          .connectWith().simpleAuth().username("alice").password("pw".getBytes())
          .applySimpleAuth().send());
      assertEquals(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD,
          ne.getMqttMessage().getReasonCode());

      MqttClient paho = new MqttClient(f.uri(), "anon311", new MemoryPersistence());
      MqttException pe = assertThrows(MqttException.class, paho::connect);
      assertEquals(5, pe.getReasonCode(), "3.1.1 return code 5: not authorized");
      paho.close();

      MqttClient pahoNamed = new MqttClient(f.uri(), "named311", new MemoryPersistence());
      MqttConnectOptions o = new MqttConnectOptions();
      o.setUserName("bob");
      o.setPassword("pw".toCharArray());
      MqttException pne = assertThrows(MqttException.class, () -> pahoNamed.connect(o));
      assertEquals(4, pne.getReasonCode(), "3.1.1 return code 4: bad user name or password");
      pahoNamed.close();
    }
  }

  @Test
  void willsTheServerCannotHonourAreRefused() {
    try (BrokerFixture f =
        BrokerFixture.start(
            "mqtt.features { max-qos = 1, retain-available = false }\n"
                + "mqtt.limits.max-client-id-length = 23")) {
      assertEquals(
          ReasonCode.RETAIN_NOT_SUPPORTED, refusal(f, "w-retain", "w/t", 0, true));
      assertEquals(ReasonCode.QOS_NOT_SUPPORTED, refusal(f, "w-qos", "w/t", 2, false));
      assertEquals(ReasonCode.TOPIC_NAME_INVALID, refusal(f, "w-topic", "w/+", 0, false));
      assertEquals(
          ReasonCode.CLIENT_IDENTIFIER_NOT_VALID,
          refusal(f, "x".repeat(24), "w/t", 0, false));
      assertEquals(ReasonCode.SUCCESS, refusal(f, "x".repeat(23), "w/t", 1, false));
    }
  }

  /**
   * The will's properties are checked as a PUBLISH's are: a Response Topic that is no topic name
   * is a Protocol Error [MQTT-3.3.2-14]; a payload marked as UTF-8 that is not, 0x99 (3.1.3.2.3
   * lets the server check).
   */
  @Test
  void willWithABadResponseTopicOrPayloadFormatIsRefused() {
    try (BrokerFixture f = BrokerFixture.start()) {
      MqttProperties wildcard = MqttProperties.empty();
      wildcard.responseTopic = "reply/#";
      assertEquals(
          ReasonCode.PROTOCOL_ERROR, refusal(f, "w-rt", "w/t", new byte[] {1}, wildcard));
      MqttProperties markedUtf8 = MqttProperties.empty();
      markedUtf8.payloadFormatIndicator = 1;
      assertEquals(
          ReasonCode.PAYLOAD_FORMAT_INVALID,
          refusal(f, "w-pfi", "w/t", new byte[] {(byte) 0xFF}, markedUtf8));
      markedUtf8.responseTopic = "reply/w-ok";
      assertEquals(
          ReasonCode.SUCCESS, refusal(f, "w-ok", "w/t", "fine".getBytes(), markedUtf8));
    }
  }

  /**
   * 3.1.1 has no CONNACK return code for a will topic that breaks the topic rules, and its server
   * closes without a CONNACK when none fits [MQTT-3.2.2-6] (3.1.1); "server unavailable" (3)
   * would send the client off to retry the same CONNECT.
   */
  @Test
  void v311WillTopicWithAWildcardClosesWithoutConnAck() {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient raw = RawClient.open(f, MqttVersion.MQTT_3_1_1)) {
      raw.send(
          RawClient.withWill(
              RawClient.connectPacket(MqttVersion.MQTT_3_1_1, "w311", true, 30, null),
              new io.simqtt.core.codec.MqttPacket.Will(
                  "w/+", new byte[] {1}, 0, false, MqttProperties.NONE)));
      raw.expectSilentClose(Duration.ofSeconds(3));
      assertNull(f.broker().sessions().get("w311"));
    }
  }

  /**
   * [MQTT-3.2.2-19]: a refusing CONNACK keeps to the Maximum Packet Size of the CONNECT it
   * refuses, leaving out its Reason String if it must.
   */
  @Test
  void refusingConnAckKeepsToTheClientsMaximumPacketSize() {
    try (BrokerFixture f = BrokerFixture.start()) {
      for (long max : new long[] {16, 1000}) {
        try (RawClient raw = RawClient.open(f, MqttVersion.MQTT_5)) {
          MqttProperties p = MqttProperties.empty();
          p.authenticationMethod = "SCRAM-SHA-1";
          p.maximumPacketSize = max;
          ConnAck ack =
              raw.connect(RawClient.connectPacket(MqttVersion.MQTT_5, "small", true, 30, p));
          assertEquals(ReasonCode.BAD_AUTHENTICATION_METHOD, ack.reasonCode());
          assertTrue(RawClient.encode(ack, MqttVersion.MQTT_5).length <= max);
          assertEquals(max == 1000, ack.properties().reasonString != null, "max " + max);
        }
      }
    }
  }

  /** Connects over a raw v5 socket with a will; returns the CONNACK reason code. */
  private static int refusal(BrokerFixture f, String id, String topic, int qos, boolean retain) {
    return refusal(f, id, topic, qos, retain, new byte[] {1}, MqttProperties.empty());
  }

  private static int refusal(
      BrokerFixture f, String id, String topic, byte[] payload, MqttProperties willProperties) {
    return refusal(f, id, topic, 0, false, payload, willProperties);
  }

  private static int refusal(
      BrokerFixture f,
      String id,
      String topic,
      int qos,
      boolean retain,
      byte[] payload,
      MqttProperties willProperties) {
    try (RawClient raw = RawClient.open(f, MqttVersion.MQTT_5)) {
      ConnAck ack =
          raw.connect(
              RawClient.withWill(
                  RawClient.connectPacket(MqttVersion.MQTT_5, id, true, 30, null),
                  new io.simqtt.core.codec.MqttPacket.Will(
                      topic, payload, qos, retain, willProperties)));
      if (ack.reasonCode() != ReasonCode.SUCCESS) {
        assertFalse(ack.sessionPresent());
        assertTrue(raw.closedWithin(Duration.ofSeconds(3)), "refused connection is closed");
      }
      return ack.reasonCode();
    }
  }
}

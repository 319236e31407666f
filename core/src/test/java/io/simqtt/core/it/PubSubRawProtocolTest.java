package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.text;
import static io.simqtt.core.it.RawClient.ack;
import static io.simqtt.core.it.RawClient.publishPacket;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttPacket.SubAck;
import io.simqtt.core.codec.MqttPacket.Subscribe;
import io.simqtt.core.codec.MqttPacket.Subscription;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.PacketType;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.metrics.DropReason;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * PUBLISH/SUBSCRIBE rules that real clients refuse to break (they validate before sending) or
 * hide (topic aliases they resolve), checked with a raw socket speaking the broker's own codec.
 */
class PubSubRawProtocolTest {

  // ---- inbound flow control ----

  @Test
  void qos2PublishesBeyondReceiveMaximumDisconnectWith0x93() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.limits.receive-maximum = 5");
        RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      ConnAck ack = c.connect("quota");
      assertEquals(5, ack.properties().receiveMaximum);
      for (int id = 1; id <= 5; id++) {
        c.send(publishPacket("q/t", 2, false, id, "m" + id));
        PubResponse rec = c.expect(PubResponse.class);
        assertEquals(PacketType.PUBREC, rec.type());
        assertEquals(id, rec.packetId());
      }
      // Five QoS 2 exchanges are open (no PUBREL sent); the sixth exceeds the quota.
      c.send(publishPacket("q/t", 2, false, 6, "m6"));
      assertEquals(ReasonCode.RECEIVE_MAXIMUM_EXCEEDED, c.expectDisconnect());
    }
  }

  /**
   * The PUBLISH that overran the quota was refused, so it is not remembered: when the client
   * resends it on the same session (DUP=1) it is a new message, delivered, not only PUBRECed.
   */
  @Test
  void qos2PublishRefusedForTheQuotaIsDeliveredWhenResent() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.limits.receive-maximum = 2");
        RawClient sub = RawClient.open(f, MqttVersion.MQTT_5)) {
      sub.connect("quota-sub");
      sub.subscribe("q/t", 2);
      try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
        c.connect("quota-resend", true, 0, RawClient.sessionExpiry(60));
        for (int id = 1; id <= 2; id++) {
          c.send(publishPacket("q/t", 2, false, id, "m" + id));
          assertEquals(PacketType.PUBREC, c.expect(PubResponse.class).type());
        }
        c.send(publishPacket("q/t", 2, false, 3, "m3"));
        c.expectDisconnect(ReasonCode.RECEIVE_MAXIMUM_EXCEEDED);
      }
      try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertTrue(
            c.connect("quota-resend", false, 0, RawClient.sessionExpiry(0)).sessionPresent());
        // As a client resumes (spec 4.4): PUBREL for the PUBRECed ones, then the unacknowledged.
        for (int id = 1; id <= 2; id++) {
          c.send(ack(PacketType.PUBREL, id));
          PubResponse comp = c.expect(PubResponse.class);
          assertEquals(PacketType.PUBCOMP, comp.type());
          assertEquals(ReasonCode.SUCCESS, comp.reasonCode());
        }
        c.send(
            new Publish(
                "q/t", 2, false, true, 3, "m3".getBytes(StandardCharsets.UTF_8),
                MqttProperties.empty()));
        PubResponse rec = c.expect(PubResponse.class);
        assertEquals(PacketType.PUBREC, rec.type());
        assertEquals(3, rec.packetId());
      }
      for (String want : List.of("m1", "m2", "m3")) {
        assertEquals(want, text(sub.expect(Publish.class)));
      }
    }
  }

  @Test
  void completedQos2ExchangesFreeTheQuota() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.limits.receive-maximum = 2");
        RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      c.connect("quota-ok");
      for (int id = 1; id <= 10; id++) {
        c.send(publishPacket("q/t", 2, false, id, "m"));
        assertEquals(PacketType.PUBREC, c.expect(PubResponse.class).type());
        c.send(ack(PacketType.PUBREL, id));
        PubResponse comp = c.expect(PubResponse.class);
        assertEquals(PacketType.PUBCOMP, comp.type());
        assertEquals(ReasonCode.SUCCESS, comp.reasonCode());
      }
      c.send(MqttPacket.PingReq.INSTANCE);
      assertInstanceOf(MqttPacket.PingResp.class, c.next());
    }
  }

  // ---- retain not available ----

  @Test
  void retainedPublishWhenRetainIsUnavailableDisconnectsWith0x9A() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.features.retain-available = false");
        RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      ConnAck ack = c.connect("noretain");
      assertEquals(0, ack.properties().retainAvailable);
      c.send(publishPacket("r/t", 1, false, 1, "plain"));
      assertEquals(PacketType.PUBACK, c.expect(PubResponse.class).type());
      c.send(publishPacket("r/t", 0, true, 0, "kept?"));
      assertEquals(ReasonCode.RETAIN_NOT_SUPPORTED, c.expectDisconnect());
    }
  }

  // ---- invalid topic names ----

  @Test
  void wildcardInTopicNameDisconnectsV5With0x90() throws Exception {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      c.connect("badtopic5");
      c.send(publishPacket("a/+/c", 1, false, 1, "x"));
      assertEquals(ReasonCode.TOPIC_NAME_INVALID, c.expectDisconnect());
    }
    try (BrokerFixture f = BrokerFixture.start();
        RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      c.connect("badtopic5b");
      c.send(publishPacket("a/#", 0, false, 0, "x"));
      assertEquals(ReasonCode.TOPIC_NAME_INVALID, c.expectDisconnect());
    }
  }

  @Test
  void wildcardInTopicNameClosesV311Connection() throws Exception {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient sub = RawClient.open(f, MqttVersion.MQTT_3_1_1);
        RawClient c = RawClient.open(f, MqttVersion.MQTT_3_1_1)) {
      sub.connect("watch3");
      sub.subscribe(1, 0, new Subscription("#", 1, false, false, 0));
      c.connect("badtopic3");
      c.send(publishPacket("a/+", 1, false, 1, "x"));
      List<MqttPacket> before = c.expectClosed();
      assertTrue(before.isEmpty(), "no PUBACK or DISCONNECT on 3.1.1, got " + before);
      assertNull(sub.poll(200), "the invalid message must not be routed");
    }
  }

  // ---- subscribe reason codes ----

  @Test
  void subAckCarriesOneReasonCodePerFilter() throws Exception {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      c.connect("suback");
      SubAck ack =
          c.subscribe(
              1,
              0,
              new Subscription("ok/0", 0, false, false, 0),
              new Subscription("a/#/b", 1, false, false, 0),
              new Subscription("ok/1", 1, false, false, 0),
              new Subscription("a+", 1, false, false, 0),
              new Subscription("ok/+/2", 2, false, false, 0),
              new Subscription("$share/g+/x", 1, false, false, 0),
              new Subscription("#/x", 1, false, false, 0));
      assertEquals(List.of(0x00, 0x8F, 0x01, 0x8F, 0x02, 0x8F, 0x8F), ack.reasonCodes());
    }
  }

  @Test
  void wildcardAndSharedDisabledGiveA2And9E() throws Exception {
    try (BrokerFixture f =
            BrokerFixture.start(
                "mqtt.features { wildcard-subscriptions = false, shared-subscriptions = false }");
        RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      ConnAck connAck = c.connect("features");
      assertEquals(0, connAck.properties().wildcardSubscriptionAvailable);
      assertEquals(0, connAck.properties().sharedSubscriptionAvailable);
      SubAck ack =
          c.subscribe(
              1,
              0,
              new Subscription("a/+", 1, false, false, 0),
              new Subscription("a/#", 1, false, false, 0),
              new Subscription("$share/g/a", 1, false, false, 0),
              new Subscription("a/b", 1, false, false, 0));
      assertEquals(List.of(0xA2, 0xA2, 0x9E, 0x01), ack.reasonCodes());
    }
  }

  @Test
  void subscriptionsBeyondTheLimitGet0x97() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.limits.max-subscriptions-per-client = 2");
        RawClient c = RawClient.open(f, MqttVersion.MQTT_5);
        RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
      c.connect("limit");
      SubAck ack =
          c.subscribe(
              1,
              0,
              new Subscription("l/1", 1, false, false, 0),
              new Subscription("l/2", 1, false, false, 0),
              new Subscription("l/3", 1, false, false, 0));
      assertEquals(List.of(0x01, 0x01, 0x97), ack.reasonCodes());
      // Replacing an existing subscription does not count against the limit.
      assertEquals(
          List.of(0x00), c.subscribe(2, 0, new Subscription("l/1", 0, false, false, 0)).reasonCodes());
      pub.connect("limit-pub");
      pub.send(publishPacket("l/3", 0, false, 0, "refused filter"));
      pub.send(publishPacket("l/2", 0, false, 0, "granted filter"));
      Publish got = c.expect(Publish.class);
      assertEquals("l/2", got.topic());
      assertNull(c.poll(200));
    }
  }

  @Test
  void noLocalOnASharedSubscriptionIsAProtocolError() throws Exception {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      c.connect("sharednl");
      c.send(
          new Subscribe(
              1,
              List.of(new Subscription("$share/g/t", 1, true, false, 0)),
              MqttProperties.empty()));
      assertEquals(ReasonCode.PROTOCOL_ERROR, c.expectDisconnect());
    }
  }

  // ---- inbound topic aliases ----

  @Test
  void inboundTopicAliasesResolveToTheFullTopic() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.limits.topic-alias-maximum = 4");
        RawClient sub = RawClient.open(f, MqttVersion.MQTT_5);
        RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      sub.connect("alias-sub");
      sub.subscribe(1, 0, new Subscription("al/#", 0, false, false, 0));
      ConnAck ack = c.connect("alias-pub");
      assertEquals(4, ack.properties().topicAliasMaximum);
      c.send(aliased("al/one", 4, "1"));
      c.send(aliased("", 4, "2"));
      c.send(aliased("al/two", 4, "3")); // re-maps alias 4
      c.send(aliased("", 4, "4"));
      String[] expected = {"al/one", "al/one", "al/two", "al/two"};
      for (int i = 0; i < 4; i++) {
        Publish p = sub.expect(Publish.class);
        assertEquals(expected[i], p.topic());
        assertEquals(String.valueOf(i + 1), text(p));
        assertNull(p.properties().topicAlias, "the publisher's alias must not leak");
      }
    }
  }

  @Test
  void topicAliasZeroOrAboveMaximumDisconnectsWith0x94() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.limits.topic-alias-maximum = 4")) {
      for (int alias : new int[] {0, 5}) {
        try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
          c.connect("alias-bad-" + alias);
          c.send(aliased("al/x", alias, "x"));
          assertEquals(ReasonCode.TOPIC_ALIAS_INVALID, c.expectDisconnect(), "alias " + alias);
        }
      }
    }
  }

  @Test
  void unknownAliasWithEmptyTopicIsAProtocolError() throws Exception {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      c.connect("alias-unset");
      c.send(aliased("al/x", 1, "sets 1"));
      c.send(aliased("", 2, "2 never set"));
      assertEquals(ReasonCode.PROTOCOL_ERROR, c.expectDisconnect());
    }
  }

  /**
   * 3.3.2.1: "It is a Protocol Error if the Topic Name is zero length and there is no Topic
   * Alias."
   */
  @Test
  void emptyTopicWithoutAliasIsAProtocolError() throws Exception {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      c.connect("empty-topic");
      c.send(publishPacket("", 0, false, 0, "x"));
      c.expectDisconnect(ReasonCode.PROTOCOL_ERROR);
    }
  }

  // ---- message properties ----

  /** [MQTT-3.3.2-14]: a Response Topic is a topic name: no wildcards, not empty. */
  @Test
  void responseTopicThatIsNoTopicNameIsAProtocolError() throws Exception {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient sub = RawClient.open(f, MqttVersion.MQTT_5)) {
      sub.connect("rt-sub");
      sub.subscribe("rt/#", 1);
      for (String responseTopic : List.of("reply/+", "reply/#", "")) {
        try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
          c.connect("rt-bad");
          MqttProperties props = MqttProperties.empty();
          props.responseTopic = responseTopic;
          c.send(new Publish("rt/t", 1, false, false, 1, new byte[] {1}, props));
          c.expectDisconnect(ReasonCode.PROTOCOL_ERROR);
        }
      }
      try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
        c.connect("rt-good");
        MqttProperties props = MqttProperties.empty();
        props.responseTopic = "reply/rt-good";
        c.send(new Publish("rt/t", 1, false, false, 1, new byte[] {2}, props));
        assertEquals(ReasonCode.SUCCESS, c.expect(PubResponse.class).reasonCode());
      }
      // Each bad one was refused before the good one was sent: routed, it would come first.
      Publish first = sub.expect(Publish.class);
      assertEquals("reply/rt-good", first.properties().responseTopic, "the bad ones went nowhere");
    }
  }

  /**
   * A payload marked as UTF-8 (Payload Format Indicator 1) that is not is refused with 0x99
   * (3.3.2.3.2 lets the receiver check): in the PUBACK or PUBREC, or a DISCONNECT for QoS 0. It
   * reaches no subscriber and is counted; well-formed UTF-8 goes through with its mark unaltered
   * [MQTT-3.3.2-4].
   */
  @Test
  void payloadMarkedUtf8ThatIsNotIsRefusedWith0x99() throws Exception {
    byte[] notUtf8 = {'o', 'k', (byte) 0xC3, 0x28}; // a lead byte without its continuation
    byte[] surrogate = {(byte) 0xED, (byte) 0xA0, (byte) 0x80}; // U+D800, encoded
    byte[] utf8 = "grüße, 𝄞".getBytes(StandardCharsets.UTF_8);
    try (BrokerFixture f = BrokerFixture.start();
        RawClient sub = RawClient.open(f, MqttVersion.MQTT_5);
        RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      sub.connect("pfi-sub");
      sub.subscribe("pfi/#", 2);
      c.connect("pfi-pub");
      c.send(markedUtf8(1, 1, notUtf8));
      PubResponse ack = c.expect(PubResponse.class);
      assertEquals(PacketType.PUBACK, ack.type());
      assertEquals(ReasonCode.PAYLOAD_FORMAT_INVALID, ack.reasonCode());
      c.send(markedUtf8(2, 2, surrogate));
      PubResponse rec = c.expect(PubResponse.class);
      assertEquals(PacketType.PUBREC, rec.type());
      assertEquals(ReasonCode.PAYLOAD_FORMAT_INVALID, rec.reasonCode());
      c.send(markedUtf8(1, 3, utf8));
      assertEquals(ReasonCode.SUCCESS, c.expect(PubResponse.class).reasonCode());
      Publish delivered = sub.expect(Publish.class);
      assertEquals("grüße, 𝄞", text(delivered), "only the well-formed one arrives");
      assertEquals(1, delivered.properties().payloadFormatIndicator);
      assertEquals(2, f.broker().metrics().drops(DropReason.PAYLOAD_FORMAT_INVALID));
      c.send(markedUtf8(0, 0, notUtf8));
      c.expectDisconnect(ReasonCode.PAYLOAD_FORMAT_INVALID);
      assertEquals(3, f.broker().metrics().drops(DropReason.PAYLOAD_FORMAT_INVALID));
      try (RawClient after = RawClient.open(f, MqttVersion.MQTT_5)) {
        after.connect("pfi-after");
        after.send(publishPacket("pfi/t", 1, false, 1, "after"));
        after.expect(PubResponse.class);
      }
      assertEquals("after", text(sub.expect(Publish.class)), "the QoS 0 one did not arrive");
    }
  }

  private static Publish markedUtf8(int qos, int packetId, byte[] payload) {
    MqttProperties props = MqttProperties.empty();
    props.payloadFormatIndicator = 1;
    return new Publish("pfi/t", qos, false, false, packetId, payload, props);
  }

  // ---- outbound topic aliases ----

  @Test
  void outboundAliasesAreOffByDefault() throws Exception {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient sub = RawClient.open(f, MqttVersion.MQTT_5);
        RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
      MqttProperties props = MqttProperties.empty();
      props.topicAliasMaximum = 10;
      sub.connect("oa-off", true, 0, props);
      sub.subscribe(1, 0, new Subscription("oa/#", 1, false, false, 0));
      pub.connect("oa-off-pub");
      for (int i = 0; i < 3; i++) {
        pub.send(publishPacket("oa/t", 0, false, 0, "m" + i));
      }
      for (int i = 0; i < 3; i++) {
        Publish p = sub.expect(Publish.class);
        assertEquals("oa/t", p.topic());
        assertNull(p.properties().topicAlias);
      }
    }
  }

  @Test
  void outboundAliasesWhenEnabled() throws Exception {
    try (BrokerFixture f =
            BrokerFixture.start("mqtt.features.outbound-topic-alias-maximum = 10");
        RawClient sub = RawClient.open(f, MqttVersion.MQTT_5);
        RawClient noAlias = RawClient.open(f, MqttVersion.MQTT_5);
        RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
      MqttProperties props = MqttProperties.empty();
      props.topicAliasMaximum = 10;
      sub.connect("oa-on", true, 0, props);
      sub.subscribe(1, 0, new Subscription("oa/#", 1, false, false, 0));
      noAlias.connect("oa-none"); // announces no Topic Alias Maximum: must never get aliases
      noAlias.subscribe(1, 0, new Subscription("oa/#", 1, false, false, 0));
      pub.connect("oa-on-pub");
      pub.send(publishPacket("oa/t", 0, false, 0, "1"));
      pub.send(publishPacket("oa/t", 0, false, 0, "2"));
      Publish first = sub.expect(Publish.class);
      assertEquals("oa/t", first.topic());
      Integer alias = first.properties().topicAlias;
      assertTrue(alias != null && alias >= 1 && alias <= 10, "alias " + alias);
      Publish second = sub.expect(Publish.class);
      assertEquals("", second.topic(), "second message should use the alias only");
      assertEquals(alias, second.properties().topicAlias);
      assertEquals("2", text(second));
      for (int i = 0; i < 2; i++) {
        Publish p = noAlias.expect(Publish.class);
        assertEquals("oa/t", p.topic());
        assertNull(p.properties().topicAlias);
      }
    }
  }

  /**
   * [MQTT-3.1.2-24]: an alias costs three bytes, so the first PUBLISH of a topic, or a later one
   * with a topic shorter than that, can take a packet that fits the client's Maximum Packet Size
   * over it; such a packet goes without the alias.
   */
  @Test
  void outboundAliasNeverTakesAPublishOverTheClientsMaximumPacketSize() throws Exception {
    try (BrokerFixture f =
            BrokerFixture.start("mqtt.features.outbound-topic-alias-maximum = 10");
        RawClient sub = RawClient.open(f, MqttVersion.MQTT_5);
        RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
      // A PUBLISH of "oa/t" with one byte of payload is 10 bytes: 2 fixed header, 6 topic, 1
      // property length, 1 payload. With the alias it would be 13.
      MqttProperties props = MqttProperties.empty();
      props.topicAliasMaximum = 10;
      props.maximumPacketSize = 10L;
      sub.connect("oa-small", true, 0, props);
      sub.subscribe(1, 0, new Subscription("oa/#", 1, false, false, 0));
      pub.connect("oa-small-pub");
      pub.send(publishPacket("oa/t", 0, false, 0, "1"));
      pub.send(publishPacket("oa/t", 0, false, 0, "2"));
      for (String payload : List.of("1", "2")) {
        Publish p = sub.expect(Publish.class);
        assertEquals(payload, text(p));
        assertEquals("oa/t", p.topic());
        assertNull(p.properties().topicAlias);
        assertTrue(RawClient.encode(p, MqttVersion.MQTT_5).length <= 10);
      }
    }
  }

  // ---- packet size ----

  @Test
  void inboundPacketAboveMaxPacketSizeDisconnectsWith0x95() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.limits.max-packet-size = 1KiB");
        RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      ConnAck ack = c.connect("big");
      assertEquals(1024L, ack.properties().maximumPacketSize);
      c.send(publishPacket("big/t", 1, false, 1, "x".repeat(900)));
      assertEquals(PacketType.PUBACK, c.expect(PubResponse.class).type());
      c.send(publishPacket("big/t", 1, false, 2, "x".repeat(2000)));
      assertEquals(ReasonCode.PACKET_TOO_LARGE, c.expectDisconnect());
    }
  }

  // ---- QoS 2 exactly once at the protocol level ----

  @Test
  void resentQos2PublishBeforePubRelIsDeliveredOnce() throws Exception {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient sub = RawClient.open(f, MqttVersion.MQTT_5);
        RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      sub.connect("dup-sub");
      sub.subscribe(1, 0, new Subscription("dup/#", 0, false, false, 0));
      c.connect("dup-pub");
      c.send(publishPacket("dup/t", 2, false, 7, "first"));
      assertEquals(PacketType.PUBREC, c.expect(PubResponse.class).type());
      Publish resend =
          new Publish("dup/t", 2, false, true, 7, "first".getBytes(StandardCharsets.UTF_8),
              MqttProperties.empty());
      c.send(resend);
      PubResponse again = c.expect(PubResponse.class);
      assertEquals(PacketType.PUBREC, again.type());
      assertEquals(7, again.packetId());
      c.send(ack(PacketType.PUBREL, 7));
      PubResponse comp = c.expect(PubResponse.class);
      assertEquals(PacketType.PUBCOMP, comp.type());
      assertEquals(ReasonCode.SUCCESS, comp.reasonCode());
      // After PUBCOMP the id is free: the same id is a new message.
      c.send(publishPacket("dup/t", 2, false, 7, "second"));
      assertEquals(PacketType.PUBREC, c.expect(PubResponse.class).type());
      c.send(ack(PacketType.PUBREL, 7));
      assertEquals(PacketType.PUBCOMP, c.expect(PubResponse.class).type());
      assertEquals("first", text(sub.expect(Publish.class)));
      assertEquals("second", text(sub.expect(Publish.class)));
      assertNull(sub.poll(200), "the resend must not be delivered again");
      // PUBREL for an unknown id: PUBCOMP 0x92.
      c.send(ack(PacketType.PUBREL, 99));
      PubResponse unknown = c.expect(PubResponse.class);
      assertEquals(PacketType.PUBCOMP, unknown.type());
      assertEquals(ReasonCode.PACKET_IDENTIFIER_NOT_FOUND, unknown.reasonCode());
    }
  }

  @Test
  void qos2ExchangeSurvivesAPublisherReconnect() throws Exception {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient sub = RawClient.open(f, MqttVersion.MQTT_5)) {
      sub.connect("eo-rc-sub");
      sub.subscribe(1, 0, new Subscription("eorc/#", 2, false, false, 0));
      MqttProperties keep = MqttProperties.empty();
      keep.sessionExpiryInterval = 60L;
      try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
        c.connect("eo-rc-pub", true, 0, keep);
        c.send(publishPacket("eorc/t", 2, false, 3, "once"));
        assertEquals(PacketType.PUBREC, c.expect(PubResponse.class).type());
      }
      Publish delivered = sub.expect(Publish.class);
      assertEquals("once", text(delivered));
      try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertTrue(c.connect("eo-rc-pub", false, 0, keep).sessionPresent());
        // The publisher did not see the PUBREC (as far as it knows) and resends with DUP.
        c.send(
            new Publish("eorc/t", 2, false, true, 3, "once".getBytes(StandardCharsets.UTF_8),
                MqttProperties.empty()));
        assertEquals(PacketType.PUBREC, c.expect(PubResponse.class).type());
        c.send(ack(PacketType.PUBREL, 3));
        PubResponse comp = c.expect(PubResponse.class);
        assertEquals(PacketType.PUBCOMP, comp.type());
        assertEquals(ReasonCode.SUCCESS, comp.reasonCode());
      }
      sub.send(ack(PacketType.PUBREC, delivered.packetId()));
      assertEquals(PacketType.PUBREL, sub.expect(PubResponse.class).type());
      sub.send(ack(PacketType.PUBCOMP, delivered.packetId()));
      assertNull(sub.poll(200), "delivered exactly once");
    }
  }

  @Test
  void outboundQos2ResumesAtTheRightStepAfterSubscriberReconnect() throws Exception {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
      pub.connect("eo-out-pub");
      MqttProperties keep = MqttProperties.empty();
      keep.sessionExpiryInterval = 60L;
      int firstId;
      int secondId;
      try (RawClient sub = RawClient.open(f, MqttVersion.MQTT_5)) {
        sub.connect("eo-out-sub", true, 0, keep);
        sub.subscribe(1, 0, new Subscription("eoo/#", 2, false, false, 0));
        for (int i = 1; i <= 2; i++) {
          pub.send(publishPacket("eoo/t", 2, false, i, "m" + i));
          assertEquals(PacketType.PUBREC, pub.expect(PubResponse.class).type());
          pub.send(ack(PacketType.PUBREL, i));
          assertEquals(PacketType.PUBCOMP, pub.expect(PubResponse.class).type());
        }
        Publish a = sub.expect(Publish.class);
        Publish b = sub.expect(Publish.class);
        assertEquals("m1", text(a));
        assertEquals("m2", text(b));
        firstId = a.packetId();
        secondId = b.packetId();
        // m1 gets as far as PUBREL; m2 is not answered at all.
        sub.send(ack(PacketType.PUBREC, firstId));
        assertEquals(PacketType.PUBREL, sub.expect(PubResponse.class).type());
      }
      await("eo-out-sub offline", () -> f.broker().sessions().get("eo-out-sub") != null
          && !f.broker().sessions().get("eo-out-sub").isConnected());
      try (RawClient sub = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertTrue(sub.connect("eo-out-sub", false, 0, keep).sessionPresent());
        List<MqttPacket> resent = List.of(sub.next(), sub.next());
        PubResponse rel = null;
        Publish again = null;
        for (MqttPacket p : resent) {
          if (p instanceof PubResponse r) {
            rel = r;
          } else {
            again = (Publish) p;
          }
        }
        assertTrue(rel != null && again != null, "resent " + resent);
        assertEquals(PacketType.PUBREL, rel.type());
        assertEquals(firstId, rel.packetId(), "m1 resumes with PUBREL, not a second PUBLISH");
        assertEquals(secondId, again.packetId());
        assertEquals("m2", text(again));
        assertTrue(again.dup(), "a resent PUBLISH has DUP=1");
        sub.send(ack(PacketType.PUBCOMP, firstId));
        sub.send(ack(PacketType.PUBREC, secondId));
        assertEquals(PacketType.PUBREL, sub.expect(PubResponse.class).type());
        sub.send(ack(PacketType.PUBCOMP, secondId));
        assertNull(sub.poll(200));
      }
    }
  }

  // ---- features and limits ----

  @Test
  void maxQosOneDowngradesSubscriptionsAndRefusesQos2Publish() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.features.max-qos = 1");
        RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      ConnAck ack = c.connect("maxqos");
      assertEquals(1, ack.properties().maximumQos);
      assertEquals(
          List.of(0x01),
          c.subscribe(1, 0, new Subscription("mq/t", 2, false, false, 0)).reasonCodes());
      c.send(publishPacket("mq/t", 2, false, 1, "too high"));
      assertEquals(ReasonCode.QOS_NOT_SUPPORTED, c.expectDisconnect());
    }
  }

  @Test
  void subscriptionIdentifiersDisabledDisconnectWith0xA1() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.features.subscription-identifiers = false");
        RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      ConnAck ack = c.connect("noids");
      assertEquals(0, ack.properties().subscriptionIdentifierAvailable);
      MqttProperties props = MqttProperties.empty();
      props.subscriptionIdentifiers.add(3);
      c.send(new Subscribe(1, List.of(new Subscription("x", 0, false, false, 0)), props));
      assertEquals(ReasonCode.SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED, c.expectDisconnect());
    }
  }

  @Test
  void publishFromClientWithSubscriptionIdentifierIsAProtocolError() throws Exception {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      c.connect("pubid");
      MqttProperties props = MqttProperties.empty();
      props.subscriptionIdentifiers.add(5);
      c.send(new Publish("p/t", 0, false, false, 0, new byte[] {1}, props));
      assertEquals(ReasonCode.PROTOCOL_ERROR, c.expectDisconnect());
    }
  }

  @Test
  void v311SubAckFailureIs0x80() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.features.wildcard-subscriptions = false");
        RawClient c = RawClient.open(f, MqttVersion.MQTT_3_1_1)) {
      c.connect("suback3");
      SubAck ack =
          c.subscribe(
              1,
              0,
              new Subscription("ok/t", 2, false, false, 0),
              new Subscription("a/#/b", 1, false, false, 0),
              new Subscription("w/+", 1, false, false, 0));
      assertEquals(List.of(0x02, 0x80, 0x80), ack.reasonCodes());
    }
  }

  @Test
  void noLocalExcludesOnlyTheNoLocalSubscriptionOfAnOverlap() throws Exception {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      c.connect("nl-overlap");
      c.subscribe(1, 1, new Subscription("nlo/#", 2, true, false, 0));
      c.subscribe(2, 2, new Subscription("nlo/t", 0, false, false, 0));
      c.send(publishPacket("nlo/t", 2, false, 1, "own"));
      // The PUBREC and the delivery may come in either order.
      Publish own = null;
      for (int i = 0; i < 2; i++) {
        MqttPacket p = c.next();
        if (p instanceof Publish pp) {
          own = pp;
        }
      }
      assertTrue(own != null, "the subscription without No Local still matches");
      assertEquals(0, own.qos(), "only the QoS of the subscription without No Local counts");
      assertEquals(List.of(2), own.properties().subscriptionIdentifiers);
    }
  }

  // ---- helpers ----

  private static Publish aliased(String topic, int alias, String payload) {
    MqttProperties p = MqttProperties.empty();
    p.topicAlias = alias;
    return new Publish(topic, 0, false, false, 0, payload.getBytes(StandardCharsets.UTF_8), p);
  }
}

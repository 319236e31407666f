package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.drain;
import static io.simqtt.core.it.Clients.hiveClient;
import static io.simqtt.core.it.Clients.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.PacketType;
import io.simqtt.core.codec.ReasonCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** QoS 1/2 state that outlives a connection: what a resumed session owes and is owed. */
class InflightResumeTest {
  private static final Duration QUIET = Duration.ofMillis(300);

  /** A QoS 2 PUBLISH resent after reconnect (PUBREC seen, PUBREL not yet sent) is routed once. */
  @Test
  void inboundQos2IsExactlyOnceAcrossReconnect() throws Exception {
    try (BrokerFixture f = BrokerFixture.start()) {
      Mqtt5BlockingClient sub = hiveClient(f, "sub");
      sub.connect();
      try (var publishes = sub.publishes(MqttGlobalPublishFilter.ALL)) {
        sub.subscribeWith().topicFilter("eo/t").qos(MqttQos.EXACTLY_ONCE).send();
        int id;
        try (RawClient first = RawClient.open(f, MqttVersion.MQTT_5)) {
          first.connect("eo-pub", true, 60, RawClient.sessionExpiry(60));
          id = first.publish("eo/t", 2, false, bytes("once"));
          PubResponse rec = first.expect(PubResponse.class, RawClient.WAIT);
          assertEquals(PacketType.PUBREC, rec.type());
          // Connection lost before PUBREL.
        }
        try (RawClient again = RawClient.open(f, MqttVersion.MQTT_5)) {
          assertTrue(again.connect("eo-pub", false, 60, RawClient.sessionExpiry(60)).sessionPresent());
          again.send(
              new Publish("eo/t", 2, false, true, id, bytes("once"), MqttProperties.empty()));
          PubResponse rec = again.expect(PubResponse.class, RawClient.WAIT);
          assertEquals(PacketType.PUBREC, rec.type());
          assertEquals(id, rec.packetId());
          again.send(new PubResponse(PacketType.PUBREL, id, ReasonCode.SUCCESS, MqttProperties.empty()));
          PubResponse comp = again.expect(PubResponse.class, RawClient.WAIT);
          assertEquals(PacketType.PUBCOMP, comp.type());
          assertEquals(ReasonCode.SUCCESS, comp.reasonCode());
        }
        assertEquals(List.of("once"), drain(publishes, QUIET));
      }
      sub.disconnect();
    }
  }

  /** Clean start forgets inbound QoS 2 state: a PUBREL for the old id is answered 0x92. */
  @Test
  void cleanStartForgetsInboundQos2State() {
    try (BrokerFixture f = BrokerFixture.start()) {
      int id;
      try (RawClient first = RawClient.open(f, MqttVersion.MQTT_5)) {
        first.connect("eo-clean", true, 60, RawClient.sessionExpiry(60));
        id = first.publish("eo/t", 2, false, bytes("x"));
        first.expect(PubResponse.class, RawClient.WAIT);
      }
      try (RawClient again = RawClient.open(f, MqttVersion.MQTT_5)) {
        again.connect("eo-clean", true, 60, RawClient.sessionExpiry(60));
        again.send(new PubResponse(PacketType.PUBREL, id, ReasonCode.SUCCESS, MqttProperties.empty()));
        PubResponse comp = again.expect(PubResponse.class, RawClient.WAIT);
        assertEquals(PacketType.PUBCOMP, comp.type());
        assertEquals(ReasonCode.PACKET_IDENTIFIER_NOT_FOUND, comp.reasonCode());
      }
    }
  }

  /**
   * The send quota starts at the new connection's Receive Maximum (spec 4.9): a resumed session
   * with more unacknowledged messages than that resends them a window at a time.
   */
  @Test
  void redeliveryRespectsTheNewReceiveMaximum() throws Exception {
    try (BrokerFixture f = BrokerFixture.start()) {
      Mqtt5BlockingClient pub = hiveClient(f, "pub");
      pub.connect();
      List<Integer> firstIds = new ArrayList<>();
      try (RawClient first = RawClient.open(f, MqttVersion.MQTT_5)) {
        first.connect("window", true, 60, RawClient.sessionExpiry(60));
        first.subscribe("win/t", 1);
        for (int i = 1; i <= 4; i++) {
          pub.publishWith().topic("win/t").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("w" + i)).send();
        }
        for (int i = 1; i <= 4; i++) {
          firstIds.add(first.expect(Publish.class, RawClient.WAIT).packetId());
        }
        // None acknowledged.
      }
      try (RawClient again = RawClient.open(f, MqttVersion.MQTT_5)) {
        MqttProperties p = RawClient.sessionExpiry(60);
        p.receiveMaximum = 2;
        assertTrue(again.connect("window", false, 60, p).sessionPresent());
        Publish a = again.expect(Publish.class, RawClient.WAIT);
        Publish b = again.expect(Publish.class, RawClient.WAIT);
        assertEquals(List.of("w1", "w2"), List.of(text(a.payload()), text(b.payload())));
        assertTrue(a.dup() && b.dup());
        assertNull(again.read(QUIET), "Receive Maximum 2: no third unacknowledged PUBLISH");
        List<String> rest = new ArrayList<>();
        again.puback(a.packetId());
        again.puback(b.packetId());
        Publish next;
        while ((next = (Publish) again.read(QUIET)) != null) {
          rest.add(text(next.payload()));
          assertTrue(firstIds.contains(next.packetId()), "resent with its original packet id");
          again.puback(next.packetId());
        }
        assertEquals(List.of("w3", "w4"), rest);
      }
      pub.disconnect();
    }
  }
}

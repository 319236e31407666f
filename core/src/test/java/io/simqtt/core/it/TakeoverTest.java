package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.drain;
import static io.simqtt.core.it.Clients.hiveBuilder;
import static io.simqtt.core.it.Clients.hiveClient;
import static io.simqtt.core.it.Clients.receive;
import static io.simqtt.core.it.Clients.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.lifecycle.MqttDisconnectSource;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttPacket.Disconnect;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.PacketType;
import io.simqtt.core.codec.ReasonCode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A second connection with a client id that is already connected. */
class TakeoverTest {
  private static final Duration QUIET = Duration.ofMillis(300);

  @Test
  void firstConnectionGetsSessionTakenOverAndTheSessionResumes() throws Exception {
    try (BrokerFixture f = BrokerFixture.start()) {
      CompletableFuture<Throwable> firstCause = new CompletableFuture<>();
      CompletableFuture<MqttDisconnectSource> firstSource = new CompletableFuture<>();
      Mqtt5BlockingClient first =
          hiveBuilder(f, "dup-id")
              .addDisconnectedListener(
                  ctx -> {
                    firstSource.complete(ctx.getSource());
                    firstCause.complete(ctx.getCause());
                  })
              .buildBlocking();
      first.connectWith().cleanStart(true).sessionExpiryInterval(60).send();
      first.subscribeWith().topicFilter("to/#").qos(MqttQos.AT_LEAST_ONCE).send();

      Mqtt5BlockingClient second = hiveClient(f, "dup-id");
      try (var publishes = second.publishes(MqttGlobalPublishFilter.ALL)) {
        assertTrue(
            second.connectWith().cleanStart(false).sessionExpiryInterval(60).send().isSessionPresent());
        Throwable cause = firstCause.get(5, TimeUnit.SECONDS);
        assertEquals(MqttDisconnectSource.SERVER, firstSource.get(5, TimeUnit.SECONDS));
        Mqtt5DisconnectException e = assertInstanceOf(Mqtt5DisconnectException.class, cause);
        assertEquals(
            Mqtt5DisconnectReasonCode.SESSION_TAKEN_OVER, e.getMqttMessage().getReasonCode());

        Mqtt5BlockingClient pub = hiveClient(f, "pub");
        pub.connect();
        pub.publishWith().topic("to/x").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("after")).send();
        assertEquals("after", text(receive(publishes, RawClient.WAIT)));
        pub.disconnect();
      }
      second.disconnect();
    }
  }

  @Test
  void takeoverWithCleanStartDropsTheOldSession() throws Exception {
    try (BrokerFixture f = BrokerFixture.start()) {
      CompletableFuture<Throwable> firstCause = new CompletableFuture<>();
      Mqtt5BlockingClient first =
          hiveBuilder(f, "dup-clean")
              .addDisconnectedListener(ctx -> firstCause.complete(ctx.getCause()))
              .buildBlocking();
      first.connectWith().cleanStart(true).sessionExpiryInterval(60).send();
      first.subscribeWith().topicFilter("tc/#").qos(MqttQos.AT_LEAST_ONCE).send();

      Mqtt5BlockingClient second = hiveClient(f, "dup-clean");
      try (var publishes = second.publishes(MqttGlobalPublishFilter.ALL)) {
        assertFalse(
            second.connectWith().cleanStart(true).sessionExpiryInterval(60).send().isSessionPresent());
        Mqtt5DisconnectException e =
            assertInstanceOf(Mqtt5DisconnectException.class, firstCause.get(5, TimeUnit.SECONDS));
        assertEquals(
            Mqtt5DisconnectReasonCode.SESSION_TAKEN_OVER, e.getMqttMessage().getReasonCode());

        Mqtt5BlockingClient pub = hiveClient(f, "pub");
        pub.connect();
        pub.publishWith().topic("tc/x").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("gone")).send();
        assertEquals(List.of(), drain(publishes, QUIET), "the old subscription went with clean start");
        pub.disconnect();
      }
      second.disconnect();
    }
  }

  @Test
  void unacknowledgedQos1IsRedeliveredWithDupToTheNewConnection() throws Exception {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient first = RawClient.open(f, MqttVersion.MQTT_5)) {
      first.connect("inflight", true, 60, RawClient.sessionExpiry(60));
      first.subscribe("if/t", 1);
      Mqtt5BlockingClient pub = hiveClient(f, "pub");
      pub.connect();
      pub.publishWith().topic("if/t").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("one")).send();
      Publish original = first.expect(Publish.class, RawClient.WAIT);
      assertFalse(original.dup());
      // No PUBACK: the message stays in flight.

      try (RawClient second = RawClient.open(f, MqttVersion.MQTT_5)) {
        ConnAck ack = second.connect("inflight", false, 60, RawClient.sessionExpiry(60));
        assertTrue(ack.sessionPresent());
        Disconnect d = first.expect(Disconnect.class, RawClient.WAIT);
        assertEquals(ReasonCode.SESSION_TAKEN_OVER, d.reasonCode());
        assertTrue(first.closedWithin(Duration.ofSeconds(3)));

        Publish again = second.expect(Publish.class, RawClient.WAIT);
        assertTrue(again.dup(), "redelivery carries DUP");
        assertEquals(original.packetId(), again.packetId());
        assertEquals(1, again.qos());
        assertEquals("if/t", again.topic());
        assertEquals("one", text(again.payload()));
        second.puback(again.packetId());
        assertNull(second.read(QUIET), "delivered once more, not repeatedly");
      }
      pub.disconnect();
    }
  }

  @Test
  void qos2InflightResumesWherePubRelOrPublishLeftOff() throws Exception {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient first = RawClient.open(f, MqttVersion.MQTT_5)) {
      first.connect("inflight2", true, 60, RawClient.sessionExpiry(60));
      first.subscribe("if2/t", 2);
      Mqtt5BlockingClient pub = hiveClient(f, "pub");
      pub.connect();
      pub.publishWith().topic("if2/t").qos(MqttQos.EXACTLY_ONCE).payload(bytes("a")).send();
      pub.publishWith().topic("if2/t").qos(MqttQos.EXACTLY_ONCE).payload(bytes("b")).send();
      Publish a = first.expect(Publish.class, RawClient.WAIT);
      Publish b = first.expect(Publish.class, RawClient.WAIT);
      // "a" gets as far as PUBREL; "b" is never answered.
      first.send(
          new PubResponse(PacketType.PUBREC, a.packetId(), ReasonCode.SUCCESS,
              io.simqtt.core.codec.MqttProperties.empty()));
      PubResponse rel = first.expect(PubResponse.class, RawClient.WAIT);
      assertEquals(PacketType.PUBREL, rel.type());

      try (RawClient second = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertTrue(second.connect("inflight2", false, 60, RawClient.sessionExpiry(60)).sessionPresent());
        assertEquals(
            ReasonCode.SESSION_TAKEN_OVER, first.expect(Disconnect.class, RawClient.WAIT).reasonCode());
        PubResponse relAgain = second.expect(PubResponse.class, RawClient.WAIT);
        assertEquals(PacketType.PUBREL, relAgain.type());
        assertEquals(a.packetId(), relAgain.packetId());
        Publish bAgain = second.expect(Publish.class, RawClient.WAIT);
        assertTrue(bAgain.dup());
        assertEquals(b.packetId(), bAgain.packetId());
        assertEquals("b", text(bAgain.payload()));
        assertNull(second.read(QUIET), "\"a\" is not published again");
      }
      pub.disconnect();
    }
  }

  @Test
  void v311TakeoverClosesTheFirstConnectionWithoutDisconnect() {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient first = RawClient.open(f, MqttVersion.MQTT_3_1_1);
        RawClient second = RawClient.open(f, MqttVersion.MQTT_3_1_1)) {
      first.connect("v3dup", false, 60, null);
      first.subscribe("v3/t", 1);
      ConnAck ack = second.connect("v3dup", false, 60, null);
      assertTrue(ack.sessionPresent());
      assertTrue(first.closedWithin(Duration.ofSeconds(3)));
      assertEquals(List.of(), first.pending(), "3.1.1 has no server DISCONNECT");
      assertFalse(second.isClosed());
    }
  }
}

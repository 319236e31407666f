package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.awaitValue;
import static io.simqtt.core.it.Clients.hiveClient;
import static io.simqtt.core.it.Clients.text;
import static io.simqtt.core.it.HostileWire.assertServesRealClient;
import static io.simqtt.core.it.HostileWire.bytes;
import static io.simqtt.core.it.HostileWire.connectV311;
import static io.simqtt.core.it.HostileWire.connectV5;
import static io.simqtt.core.it.HostileWire.header;
import static io.simqtt.core.it.HostileWire.packet;
import static io.simqtt.core.it.HostileWire.vbi;
import static io.simqtt.core.it.RawClient.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad and hostile bytes on a raw socket against a live broker. Each case asserts what the client
 * sees (the MQTT 5 reason code where the spec gives one, else a plain close) and that the close
 * comes within a bound; after each case a fresh HiveMQ client must still get a round trip and no
 * connection may be left open.
 *
 * <p>Reason codes follow MQTT 5 sections 1.5, 2.1.3, 2.2.2.2, 3.x and 4.13: Malformed Packet is
 * 0x81, Protocol Error 0x82. Before a CONNECT is accepted there is no session to say anything to,
 * so the broker closes silently, except that it may refuse an MQTT 5 CONNECT with a CONNACK.
 */
class HostileInputTest {
  private static final Duration CONNECT_TIMEOUT = Duration.ofMillis(1500);
  /** A broker that reacts "at once" does so well inside the connect timeout. */
  private static final Duration AT_ONCE = Duration.ofMillis(1000);

  private static final MqttVersion V5 = MqttVersion.MQTT_5;
  private static final MqttVersion V311 = MqttVersion.MQTT_3_1_1;

  private static BrokerFixture f;

  @BeforeAll
  static void start() {
    f = BrokerFixture.start("mqtt.limits.connect-timeout = " + CONNECT_TIMEOUT.toMillis() + "ms");
  }

  @AfterAll
  static void stop() {
    if (f != null) {
      f.close();
    }
  }

  @AfterEach
  void brokerStillServes() throws InterruptedException {
    assertServesRealClient(f);
    awaitValue(
        0, f.broker().metrics()::currentConnections, Duration.ofSeconds(5), "current connections");
  }

  private static RawClient wire(MqttVersion v) {
    return RawClient.open(f, v);
  }

  /** A raw connection that has sent a CONNECT with a fresh client id and got a success. */
  private static RawClient connected(MqttVersion v, int keepAlive) {
    return HostileWire.connected(f.host(), f.port(), v, keepAlive);
  }

  // ---------------------------------------------------------------- before CONNECT

  @Test
  void randomBytesBeforeConnectAreClosed() {
    byte[] junk = new byte[256];
    new Random(20240601L).nextBytes(junk);
    junk[0] = (byte) 0xA7; // not a CONNECT, so no CONNACK may come back
    try (RawClient w = wire(V5)) {
      w.sendRaw(junk);
      w.expectSilentClose(AT_ONCE);
    }
  }

  @Test
  void httpRequestIsClosed() {
    try (RawClient w = wire(V311)) {
      w.sendRaw("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      w.expectSilentClose(AT_ONCE);
    }
  }

  @Test
  void pingReqAsFirstPacketIsClosed() {
    try (RawClient w = wire(V311)) {
      w.sendRaw(bytes(0xC0, 0x00));
      w.expectSilentClose(AT_ONCE);
    }
  }

  @Test
  void publishAsFirstPacketIsClosed() {
    try (RawClient w = wire(V5)) {
      w.sendRaw(packet(0x30, bytes("a/b", 0, "hi".getBytes())));
      w.expectSilentClose(AT_ONCE);
    }
  }

  @Test
  void fiveByteRemainingLengthBeforeConnectIsClosed() {
    try (RawClient w = wire(V5)) {
      w.sendRaw(bytes(0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F));
      w.expectSilentClose(AT_ONCE);
    }
  }

  @Test
  void connectAnnouncing200MegabytesIsClosedWithoutWaitingForTheBody() {
    try (RawClient w = wire(V5)) {
      w.sendRaw(bytes(header(0x10, 200_000_000), 0, 4, 'M', 'Q', 'T', 'T', 5));
      w.expectSilentClose(AT_ONCE);
    }
  }

  @Test
  void wholeConnectLargerThanMaxConnectPacketSizeIsRefused() {
    // Default max-connect-packet-size is 64 KiB; will payload and password add up to more.
    byte[] willPayload = new byte[65_000];
    byte[] password = new byte[1_000];
    byte[] connect =
        connectV311(
            0xC6, "big", "will/big", bytes(0xFD, 0xE8), willPayload, "u", bytes(0x03, 0xE8),
            password);
    assertTrue(connect.length > 64 * 1024);
    try (RawClient w = wire(V311)) {
      w.sendRaw(connect);
      w.expectSilentClose(AT_ONCE);
    }
  }

  @Test
  void halfOpenConnectIsClosedByTheConnectTimeout() {
    try (RawClient w = wire(V5)) {
      long t0 = System.nanoTime();
      // Announces 100 bytes, sends 10, then goes quiet.
      w.sendRaw(bytes(header(0x10, 100), "MQTT", 5, 0x02, 0, 60));
      w.expectSilentClose(CONNECT_TIMEOUT.plusSeconds(3));
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertTrue(ms >= CONNECT_TIMEOUT.toMillis() - 200, "closed after " + ms + " ms");
    }
  }

  // ---------------------------------------------------------------- bad CONNECT

  @Test
  void receiveMaximumZeroIsRefusedWithProtocolError() {
    try (RawClient w = wire(V5)) {
      w.sendRaw(connectV5(0x02, bytes(0x21, 0, 0), "rm0"));
      w.expectConnAck(ReasonCode.PROTOCOL_ERROR);
    }
  }

  @Test
  void unknownProtocolLevelIsRefusedInMqtt311Form() {
    // A 3.1.1 decoder reads this CONNACK: it must be 2 bytes long with return code 1 (which the
    // decoder reports as 0x84), not the MQTT 5 form.
    try (RawClient w = wire(V311)) {
      w.sendRaw(packet(0x10, bytes("MQTT", 6, 0x02, 0, 60, 0, "lvl6")));
      w.expectConnAck(ReasonCode.UNSUPPORTED_PROTOCOL_VERSION);
    }
  }

  @Test
  void unknownProtocolNameIsRefused() {
    try (RawClient w = wire(V311)) {
      w.sendRaw(packet(0x10, bytes("MQTX", 4, 0x02, 0, 60, "mqtx")));
      List<MqttPacket> got = w.expectClosed(AT_ONCE);
      // The spec lets the server just close; if it answers, only "unacceptable protocol version".
      assertTrue(got.size() <= 1, () -> "got " + got);
      if (!got.isEmpty()) {
        MqttPacket.ConnAck a = assertInstanceOf(MqttPacket.ConnAck.class, got.get(0));
        assertEquals(hex(ReasonCode.UNSUPPORTED_PROTOCOL_VERSION), hex(a.reasonCode()));
      }
    }
  }

  @Test
  void connectReservedFlagIsMalformed() {
    try (RawClient w = wire(V5)) {
      w.sendRaw(connectV5(0x03, new byte[0], "reserved5"));
      w.expectConnAck(ReasonCode.MALFORMED_PACKET);
    }
    try (RawClient w = wire(V311)) {
      w.sendRaw(connectV311(0x03, "reserved311"));
      w.expectSilentClose(AT_ONCE);
    }
  }

  @Test
  void willQosWithoutWillFlagIsRefused() {
    try (RawClient w = wire(V5)) {
      w.sendRaw(connectV5(0x0A, new byte[0], "willqos5"));
      List<MqttPacket> got = w.expectClosed(AT_ONCE);
      assertEquals(1, got.size(), () -> "got " + got);
      int code = assertInstanceOf(MqttPacket.ConnAck.class, got.get(0)).reasonCode();
      assertTrue(
          Set.of(ReasonCode.MALFORMED_PACKET, ReasonCode.PROTOCOL_ERROR).contains(code),
          "CONNACK " + hex(code));
    }
    try (RawClient w = wire(V311)) {
      w.sendRaw(connectV311(0x0A, "willqos311"));
      w.expectSilentClose(AT_ONCE);
    }
  }

  @Test
  void passwordWithoutUserNameIsRefusedIn311ButAllowedIn5() {
    try (RawClient w = wire(V311)) {
      w.sendRaw(connectV311(0x42, "pw311", bytes(0, 2, 's', 'x')));
      w.expectSilentClose(AT_ONCE);
    }
    // MQTT 5 (3.1.2.9) allows a password without a user name.
    try (RawClient w = wire(V5)) {
      w.sendRaw(connectV5(0x42, new byte[0], "pw5", bytes(0, 2, 's', 'x')));
      MqttPacket.ConnAck a = w.expect(MqttPacket.ConnAck.class, AT_ONCE);
      assertEquals(hex(ReasonCode.SUCCESS), hex(a.reasonCode()));
    }
  }

  @Test
  void invalidUtf8ClientIdIsMalformed() {
    byte[] badId = bytes(0, 3, 'a', 0xC0, 0x80); // overlong encoding of U+0000
    try (RawClient w = wire(V5)) {
      w.sendRaw(connectV5(0x02, new byte[0], badId));
      w.expectConnAck(ReasonCode.MALFORMED_PACKET);
    }
    try (RawClient w = wire(V311)) {
      w.sendRaw(connectV311(0x02, badId));
      w.expectSilentClose(AT_ONCE);
    }
  }

  @Test
  void secondConnectIsAProtocolError() {
    try (RawClient w = connected(V5, 60)) {
      w.sendRaw(connectV5(0x02, new byte[0], "again"));
      w.expectDisconnect(ReasonCode.PROTOCOL_ERROR);
    }
    try (RawClient w = connected(V311, 60)) {
      w.sendRaw(connectV311(0x02, "again311"));
      w.expectSilentClose(AT_ONCE);
    }
  }

  @Test
  void pipelinedConnectAndBadPacketGetConnAckThenDisconnect() {
    // Both in one write: the CONNACK must still come first, then the DISCONNECT.
    byte[] connect = connectV5(0x02, new byte[0], "pipelined");
    try (RawClient w = wire(V5)) {
      w.sendRaw(bytes(connect, connect));
      List<MqttPacket> got = w.expectClosed(Duration.ofSeconds(5));
      assertEquals(2, got.size(), () -> "got " + got);
      assertEquals(0, assertInstanceOf(MqttPacket.ConnAck.class, got.get(0)).reasonCode());
      assertEquals(
          hex(ReasonCode.PROTOCOL_ERROR),
          hex(assertInstanceOf(MqttPacket.Disconnect.class, got.get(1)).reasonCode()));
    }
    try (RawClient w = wire(V5)) {
      w.sendRaw(bytes(connect, 0x36, 0x00));
      List<MqttPacket> got = w.expectClosed(Duration.ofSeconds(5));
      assertEquals(2, got.size(), () -> "got " + got);
      assertEquals(0, assertInstanceOf(MqttPacket.ConnAck.class, got.get(0)).reasonCode());
      assertEquals(
          hex(ReasonCode.MALFORMED_PACKET),
          hex(assertInstanceOf(MqttPacket.Disconnect.class, got.get(1)).reasonCode()));
    }
  }

  @Test
  void takeoverFollowedByBadPacketGetsConnAckThenDisconnect() {
    // The session already lives on some event loop; the new connection's CONNACK is sent by a
    // session task, which must not be overtaken by the DISCONNECT for the bad packet after it.
    for (int i = 0; i < 8; i++) {
      byte[] connect = connectV5(0x00, bytes(0x11, 0, 0, 0, 60), "takeover");
      try (RawClient first = wire(V5)) {
        first.sendRaw(connect);
        first.expect(MqttPacket.ConnAck.class, AT_ONCE);
        try (RawClient second = wire(V5)) {
          second.sendRaw(bytes(connect, 0x36, 0x00));
          List<MqttPacket> got = second.expectClosed(Duration.ofSeconds(5));
          assertEquals(2, got.size(), () -> "got " + got);
          assertEquals(0, assertInstanceOf(MqttPacket.ConnAck.class, got.get(0)).reasonCode());
          assertEquals(
              hex(ReasonCode.MALFORMED_PACKET),
              hex(assertInstanceOf(MqttPacket.Disconnect.class, got.get(1)).reasonCode()));
        }
      }
    }
    // Clean up the persistent session.
    try (RawClient w = wire(V5)) {
      w.sendRaw(connectV5(0x02, new byte[0], "takeover"));
      w.expect(MqttPacket.ConnAck.class, AT_ONCE);
      w.sendRaw(bytes(0xE0, 0x00));
      w.expectClosed(AT_ONCE);
    }
  }

  // ---------------------------------------------------------------- framing after CONNECT

  @Test
  void fiveByteRemainingLengthIsMalformed() {
    try (RawClient w = connected(V5, 60)) {
      w.sendRaw(bytes(0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F));
      w.expectDisconnect(ReasonCode.MALFORMED_PACKET);
    }
  }

  @Test
  void publishAnnouncing200MegabytesIsTooLargeAtOnce() {
    try (RawClient w = connected(V5, 60)) {
      long t0 = System.nanoTime();
      w.sendRaw(bytes(header(0x30, 200_000_000), "a/b", 0));
      w.expectDisconnect(ReasonCode.PACKET_TOO_LARGE);
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertTrue(ms < AT_ONCE.toMillis(), "took " + ms + " ms");
    }
  }

  @Test
  void halfOpenPublishIsClosedByKeepAlive() {
    try (RawClient w = connected(V5, 1)) {
      long t0 = System.nanoTime();
      w.sendRaw(bytes(header(0x30, 100), "a/b", 0, 'x', 'y', 'z'));
      w.expectDisconnect(ReasonCode.KEEP_ALIVE_TIMEOUT);
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      // 1.5 x the keep alive of 1 s, give or take the timer's tick.
      assertTrue(ms >= 1300 && ms < 4000, "closed after " + ms + " ms");
    }
  }

  // ---------------------------------------------------------------- fixed header flags

  @Test
  void subscribeWithFlagsZeroIsMalformed() {
    try (RawClient w = connected(V5, 60)) {
      w.sendRaw(packet(0x80, bytes(0, 1, 0, "a/b", 0x01)));
      w.expectDisconnect(ReasonCode.MALFORMED_PACKET);
    }
  }

  @Test
  void publishQos3IsMalformed() {
    try (RawClient w = connected(V5, 60)) {
      w.sendRaw(packet(0x36, bytes("a/b", 0, 1, 0, "x".getBytes())));
      w.expectDisconnect(ReasonCode.MALFORMED_PACKET);
    }
  }

  @Test
  void qos0WithDupIsMalformed() {
    try (RawClient w = connected(V5, 60)) {
      w.sendRaw(packet(0x38, bytes("a/b", 0, "x".getBytes())));
      w.expectDisconnect(ReasonCode.MALFORMED_PACKET);
    }
  }

  @Test
  void flagErrorOn311IsAPlainClose() {
    try (RawClient w = connected(V311, 60)) {
      w.sendRaw(packet(0x36, bytes("a/b", 0, 1, "x".getBytes())));
      w.expectSilentClose(AT_ONCE);
    }
  }

  // ---------------------------------------------------------------- bad fields

  @Test
  void invalidUtf8TopicIsMalformed() {
    try (RawClient w = connected(V5, 60)) {
      // ED A0 80 encodes the surrogate U+D800, which MQTT-1.5.4-1 forbids.
      w.sendRaw(packet(0x30, bytes(0, 4, 'a', 0xED, 0xA0, 0x80, 0, "x".getBytes())));
      w.expectDisconnect(ReasonCode.MALFORMED_PACKET);
    }
  }

  @Test
  void nullCharacterInTopicIsMalformed() {
    try (RawClient w = connected(V5, 60)) {
      w.sendRaw(packet(0x30, bytes(0, 3, 'a', 0, 'b', 0, "x".getBytes())));
      w.expectDisconnect(ReasonCode.MALFORMED_PACKET);
    }
  }

  @Test
  void wildcardInPublishTopicIsTopicNameInvalid() {
    for (String topic : List.of("a/+", "a/#", "#")) {
      try (RawClient w = connected(V5, 60)) {
        w.sendRaw(packet(0x30, bytes(topic, 0, "x".getBytes())));
        w.expectDisconnect(ReasonCode.TOPIC_NAME_INVALID);
      }
    }
    try (RawClient w = connected(V311, 60)) {
      w.sendRaw(packet(0x30, bytes("a/+", "x".getBytes())));
      w.expectSilentClose(AT_ONCE);
    }
  }

  @Test
  void packetIdZeroForQos1IsRefused() {
    try (RawClient w = connected(V5, 60)) {
      w.sendRaw(packet(0x32, bytes("a/b", 0, 0, 0, "x".getBytes())));
      List<MqttPacket> got = w.expectClosed(Duration.ofSeconds(5));
      assertEquals(1, got.size(), () -> "got " + got);
      // MQTT-2.2.1-3 does not name the code; either of the two error codes is right.
      int code = assertInstanceOf(MqttPacket.Disconnect.class, got.get(0)).reasonCode();
      assertTrue(
          Set.of(ReasonCode.MALFORMED_PACKET, ReasonCode.PROTOCOL_ERROR).contains(code),
          "DISCONNECT " + hex(code));
    }
  }

  @Test
  void subscribeWithoutFiltersIsAProtocolError() {
    try (RawClient w = connected(V5, 60)) {
      w.sendRaw(packet(0x82, bytes(0, 7, 0)));
      w.expectDisconnect(ReasonCode.PROTOCOL_ERROR);
    }
  }

  @Test
  void subscriptionOptionsReservedBitsAreMalformed() {
    try (RawClient w = connected(V5, 60)) {
      w.sendRaw(packet(0x82, bytes(0, 7, 0, "a/b", 0xC1)));
      w.expectDisconnect(ReasonCode.MALFORMED_PACKET);
    }
    // Retain Handling 3 is called a Protocol Error by 3.8.3.1.
    try (RawClient w = connected(V5, 60)) {
      w.sendRaw(packet(0x82, bytes(0, 7, 0, "a/b", 0x31)));
      w.expectDisconnect(ReasonCode.PROTOCOL_ERROR);
    }
  }

  @Test
  void duplicatedPropertyIsAProtocolError() {
    byte[] twoExpiries = bytes(0x02, 0, 0, 0, 10, 0x02, 0, 0, 0, 20);
    try (RawClient w = connected(V5, 60)) {
      w.sendRaw(packet(0x30, bytes("a/b", vbi(twoExpiries.length), twoExpiries, "x".getBytes())));
      w.expectDisconnect(ReasonCode.PROTOCOL_ERROR);
    }
  }

  @Test
  void unknownPropertyIsMalformed() {
    byte[] unknown = bytes(0x7F, 0x01);
    try (RawClient w = connected(V5, 60)) {
      w.sendRaw(packet(0x30, bytes("a/b", vbi(unknown.length), unknown, "x".getBytes())));
      w.expectDisconnect(ReasonCode.MALFORMED_PACKET);
    }
  }

  @Test
  void propertyNotAllowedInThePacketIsMalformed() {
    // Session Expiry Interval belongs to CONNECT, CONNACK and DISCONNECT; 2.2.2.2 calls an
    // identifier that is not valid for its packet type a Malformed Packet.
    byte[] sessionExpiry = bytes(0x11, 0, 0, 0, 10);
    try (RawClient w = connected(V5, 60)) {
      w.sendRaw(
          packet(0x30, bytes("a/b", vbi(sessionExpiry.length), sessionExpiry, "x".getBytes())));
      w.expectDisconnect(ReasonCode.MALFORMED_PACKET);
    }
  }

  // ---------------------------------------------------------------- vanishing clients

  @Test
  void clientVanishingMidPacketIsCleanedUpAndItsWillSent() throws Exception {
    String willTopic = "will/vanish";
    Mqtt5BlockingClient watcher =
        hiveClient(f, "watcher");
    watcher.connect();
    try (var publishes = watcher.publishes(MqttGlobalPublishFilter.ALL)) {
      watcher.subscribeWith().topicFilter(willTopic).qos(MqttQos.AT_LEAST_ONCE).send();
      try (RawClient w = wire(V5)) {
        // Will flag, will QoS 1, clean start; will properties empty.
        w.sendRaw(connectV5(0x0E, new byte[0], "vanisher", 0, willTopic, bytes(0, 4, "gone".getBytes())));
        MqttPacket.ConnAck a = w.expect(MqttPacket.ConnAck.class, AT_ONCE);
        assertEquals(0, a.reasonCode());
        w.sendRaw(bytes(header(0x32, 500), "a/b", 0, 1, 0, 'p', 'a', 'r', 't'));
        w.abort();
      }
      Optional<Mqtt5Publish> will = publishes.receive(5, TimeUnit.SECONDS);
      assertTrue(will.isPresent(), "will not published after the client vanished");
      assertEquals("gone", text(will.get()));
    } finally {
      watcher.disconnect();
    }
  }

  @Test
  void manyAbruptConnectionsLeaveNothingBehind() throws Exception {
    byte[] connect = connectV5(0x02, new byte[0], "abrupt");
    byte[] partialPublish = bytes(header(0x30, 50), "a/b", 0);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    for (int i = 0; i < 200 && System.nanoTime() < deadline; i++) {
      try (Socket s = new Socket("127.0.0.1", f.port())) {
        s.setSoLinger(true, 0); // RST on close, like a pulled cable
        switch (i % 4) {
          case 0 -> {}
          case 1 -> s.getOutputStream().write(connect, 0, connect.length / 2);
          case 2 -> s.getOutputStream().write(connect);
          default -> {
            s.getOutputStream().write(connect);
            s.getOutputStream().write(partialPublish);
          }
        }
      }
    }
    awaitValue(
        0, f.broker().metrics()::currentConnections, Duration.ofSeconds(10), "current connections");
  }
}

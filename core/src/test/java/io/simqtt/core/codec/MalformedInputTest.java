package io.simqtt.core.codec;

import static io.simqtt.core.codec.MqttVersion.MQTT_3_1;
import static io.simqtt.core.codec.MqttVersion.MQTT_3_1_1;
import static io.simqtt.core.codec.MqttVersion.MQTT_5;
import static io.simqtt.core.codec.ReasonCode.MALFORMED_PACKET;
import static io.simqtt.core.codec.ReasonCode.PACKET_TOO_LARGE;
import static io.simqtt.core.codec.ReasonCode.PROTOCOL_ERROR;
import static io.simqtt.core.codec.ReasonCode.UNSUPPORTED_PROTOCOL_VERSION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket.*;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each case: the input, the reason code it must fail with, and a fragment of the message. A valid
 * PINGREQ is sent after it to prove nothing more is decoded once the decoder has failed.
 */
class MalformedInputTest {
  private static final String PINGREQ = "C0 00";

  /** {@code null} version: a server decoder, which must see CONNECT first. */
  private static Arguments bad(MqttVersion v, String hex, int code, String fragment) {
    return Arguments.of(v == null ? "server" : v.name(), hex, code, fragment);
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        // fixed header
        bad(MQTT_5, "36", MALFORMED_PACKET, "PUBLISH QoS 3"),
        bad(MQTT_3_1_1, "38 00", MALFORMED_PACKET, "DUP flag set with QoS 0"),
        bad(MQTT_5, "60 02 00 01", MALFORMED_PACKET, "PUBREL fixed header flags"),
        bad(MQTT_5, "80 04 00 01 00 00", MALFORMED_PACKET, "SUBSCRIBE fixed header flags"),
        bad(MQTT_5, "A0 04 00 01 00 00", MALFORMED_PACKET, "UNSUBSCRIBE fixed header flags"),
        bad(MQTT_5, "41 02 00 01", MALFORMED_PACKET, "PUBACK fixed header flags"),
        bad(MQTT_5, "C8 00", MALFORMED_PACKET, "PINGREQ fixed header flags"),
        bad(MQTT_5, "E1 00", MALFORMED_PACKET, "DISCONNECT fixed header flags"),
        bad(MQTT_5, "00 00", MALFORMED_PACKET, "reserved packet type 0"),
        bad(MQTT_3_1_1, "F0 00", MALFORMED_PACKET, "AUTH is reserved"),
        bad(null, "C0 00", PROTOCOL_ERROR, "first packet must be CONNECT"),
        bad(null, "30 03 00 01 61", PROTOCOL_ERROR, "first packet must be CONNECT"),
        // Remaining Length and other variable byte integers
        bad(MQTT_5, "30 FF FF FF FF 01", MALFORMED_PACKET, "longer than 4 bytes"),
        bad(MQTT_5, "C0 80 00", MALFORMED_PACKET, "not minimally encoded"),
        bad(MQTT_5, "40 05 00 01 00 80 00", MALFORMED_PACKET, "PUBACK property length is not minimally"),
        // packet identifiers
        bad(MQTT_5, "32 06 00 01 61 00 00 00", MALFORMED_PACKET, "PUBLISH packet identifier 0"),
        bad(MQTT_3_1_1, "40 02 00 00", MALFORMED_PACKET, "PUBACK packet identifier 0"),
        bad(MQTT_5, "50 02 00 00", MALFORMED_PACKET, "PUBREC packet identifier 0"),
        bad(MQTT_5, "62 02 00 00", MALFORMED_PACKET, "PUBREL packet identifier 0"),
        bad(MQTT_5, "70 02 00 00", MALFORMED_PACKET, "PUBCOMP packet identifier 0"),
        bad(MQTT_5, "82 07 00 00 00 00 01 61 00", MALFORMED_PACKET, "SUBSCRIBE packet identifier 0"),
        bad(MQTT_3_1_1, "A2 05 00 00 00 01 61", MALFORMED_PACKET, "UNSUBSCRIBE packet identifier 0"),
        bad(MQTT_5, "90 04 00 00 00 00", MALFORMED_PACKET, "SUBACK packet identifier 0"),
        bad(MQTT_3_1_1, "B0 02 00 00", MALFORMED_PACKET, "UNSUBACK packet identifier 0"),
        // CONNECT
        bad(null, "10 0D 00 04 4D 51 54 54 04 03 00 3C 00 01 63", MALFORMED_PACKET, "reserved flag"),
        bad(null, "10 0D 00 04 4D 51 54 54 04 1E 00 3C 00 01 63", MALFORMED_PACKET, "will QoS 3"),
        bad(null, "10 0D 00 04 4D 51 54 54 04 0A 00 3C 00 01 63", MALFORMED_PACKET, "without will flag"),
        bad(null, "10 0D 00 04 4D 51 54 54 04 22 00 3C 00 01 63", MALFORMED_PACKET, "without will flag"),
        bad(null, "10 10 00 04 4D 51 54 54 04 42 00 3C 00 01 63 00 01 70", MALFORMED_PACKET, "password flag"),
        bad(null, "10 12 00 06 4D 51 49 73 64 70 03 42 00 3C 00 01 63 00 01 70", MALFORMED_PACKET, "password flag"),
        bad(null, "10 0D 00 04 4D 51 54 54 06 02 00 3C 00 01 63", UNSUPPORTED_PROTOCOL_VERSION, "level 6"),
        bad(null, "10 0F 00 06 4D 51 49 73 64 70 04 02 00 3C 00 01 63", UNSUPPORTED_PROTOCOL_VERSION, "MQIsdp"),
        bad(null, "10 0D 00 04 48 54 54 50 04 02 00 3C 00 01 63", UNSUPPORTED_PROTOCOL_VERSION, "HTTP"),
        bad(null, "10 0E 00 04 4D 51 54 54 04 02 00 3C 00 01 63 00", MALFORMED_PACKET, "unexpected byte"),
        bad(null, "10 0C 00 04 4D 51 54 54 04 02 00 3C 00 05 63", MALFORMED_PACKET, "client identifier runs past"),
        bad(null, "10 12 00 04 4D 51 54 54 05 02 00 3C 04 16 00 01 00 00 01 63", PROTOCOL_ERROR, "authentication data without method"),
        bad(null, "10 11 00 04 4D 51 54 54 05 06 00 3C 00 00 01 63 02 23 00 01", MALFORMED_PACKET, "property 0x23 not allowed in will properties"),
        bad(null, "10 10 00 04 4D 51 54 54 05 02 00 3C 02 17 02 00 01 63", PROTOCOL_ERROR, "property 0x17 value 2"),
        bad(null, "10 10 00 04 4D 51 54 54 05 02 00 3C 02 19 05 00 01 63", PROTOCOL_ERROR, "property 0x19 value 5"),
        bad(null, "10 11 00 04 4D 51 54 54 05 02 00 3C 03 21 00 00 00 01 63", PROTOCOL_ERROR, "receive maximum 0"),
        bad(null, "10 13 00 04 4D 51 54 54 05 02 00 3C 05 27 00 00 00 00 00 01 63", PROTOCOL_ERROR, "maximum packet size 0"),
        // UTF-8
        bad(MQTT_3_1_1, "30 04 00 02 C3 28", MALFORMED_PACKET, "PUBLISH topic name is not well-formed UTF-8"),
        bad(MQTT_3_1_1, "30 05 00 03 ED A0 80", MALFORMED_PACKET, "not well-formed UTF-8"),
        bad(MQTT_3_1_1, "30 04 00 02 C0 80", MALFORMED_PACKET, "not well-formed UTF-8"),
        bad(MQTT_3_1_1, "30 06 00 04 F4 90 80 80", MALFORMED_PACKET, "not well-formed UTF-8"),
        bad(MQTT_3_1_1, "30 05 00 03 61 00 62", MALFORMED_PACKET, "PUBLISH topic name contains U+0000"),
        bad(MQTT_3_1_1, "30 05 00 03 C3 A9 00", MALFORMED_PACKET, "U+0000"),
        bad(MQTT_5, "82 08 00 01 00 00 02 61 FF 00", MALFORMED_PACKET, "topic filter is not well-formed"),
        // lengths running past the packet or property section
        bad(MQTT_3_1_1, "30 03 00 0A 61", MALFORMED_PACKET, "topic name runs past the end of the packet"),
        bad(MQTT_5, "40 04 00 01 00 05", MALFORMED_PACKET, "property section runs past the end of the packet"),
        bad(MQTT_5, "40 08 00 01 00 04 1F 00 05 61", MALFORMED_PACKET, "reason string runs past the end of the property section"),
        bad(MQTT_5, "30 06 00 01 61 02 02 00", MALFORMED_PACKET, "runs past the end of the property section"),
        bad(MQTT_5, "30 04 00 01 61 05", MALFORMED_PACKET, "property section runs past"),
        // trailing bytes after fixed structures
        bad(MQTT_5, "C0 01 00", MALFORMED_PACKET, "PINGREQ has 1 unexpected byte"),
        bad(MQTT_5, "D0 01 00", MALFORMED_PACKET, "PINGRESP has 1 unexpected byte"),
        bad(MQTT_3_1_1, "40 03 00 01 00", MALFORMED_PACKET, "PUBACK has 1 unexpected byte"),
        bad(MQTT_3_1, "62 03 00 01 00", MALFORMED_PACKET, "PUBREL has 1 unexpected byte"),
        bad(MQTT_5, "40 05 00 01 00 00 FF", MALFORMED_PACKET, "PUBACK has 1 unexpected byte"),
        bad(MQTT_3_1_1, "E0 01 00", MALFORMED_PACKET, "DISCONNECT has 1 unexpected byte"),
        bad(MQTT_5, "E0 03 00 00 00", MALFORMED_PACKET, "DISCONNECT has 1 unexpected byte"),
        bad(MQTT_3_1_1, "B0 03 00 01 00", MALFORMED_PACKET, "UNSUBACK has 1 unexpected byte"),
        bad(MQTT_3_1_1, "20 03 00 00 00", MALFORMED_PACKET, "CONNACK has 1 unexpected byte"),
        bad(MQTT_3_1_1, "20 02 02 00", MALFORMED_PACKET, "CONNACK reserved acknowledge flags"),
        bad(MQTT_3_1_1, "20 02 00 06", MALFORMED_PACKET, "CONNACK return code 6"),
        // SUBSCRIBE / UNSUBSCRIBE
        bad(MQTT_5, "82 03 00 01 00", PROTOCOL_ERROR, "SUBSCRIBE without topic filters"),
        bad(MQTT_3_1_1, "82 02 00 01", PROTOCOL_ERROR, "SUBSCRIBE without topic filters"),
        bad(MQTT_5, "A2 03 00 01 00", PROTOCOL_ERROR, "UNSUBSCRIBE without topic filters"),
        bad(MQTT_3_1_1, "A2 02 00 01", PROTOCOL_ERROR, "UNSUBSCRIBE without topic filters"),
        bad(MQTT_5, "82 07 00 01 00 00 01 61 40", MALFORMED_PACKET, "reserved bits"),
        bad(MQTT_5, "82 07 00 01 00 00 01 61 03", MALFORMED_PACKET, "SUBSCRIBE QoS 3"),
        bad(MQTT_5, "82 07 00 01 00 00 01 61 30", PROTOCOL_ERROR, "retain handling 3"),
        bad(MQTT_3_1_1, "82 06 00 01 00 01 61 04", MALFORMED_PACKET, "reserved bits"),
        bad(MQTT_3_1_1, "82 06 00 01 00 01 61 03", MALFORMED_PACKET, "SUBSCRIBE QoS 3"),
        bad(MQTT_5, "82 08 00 01 00 00 01 61 00 00", MALFORMED_PACKET, "SUBSCRIBE topic filter length runs past"),
        // MQTT 5 properties
        bad(MQTT_5, "40 06 00 01 00 02 05 00", MALFORMED_PACKET, "unknown property identifier 0x05"),
        bad(MQTT_5, "40 06 00 01 00 02 7F 00", MALFORMED_PACKET, "unknown property identifier 0x7F"),
        bad(MQTT_5, "40 06 00 01 00 02 01 01", MALFORMED_PACKET, "property 0x01 not allowed in PUBACK"),
        bad(MQTT_5, "30 06 00 01 61 02 1F 00", MALFORMED_PACKET, "property 0x1F not allowed in PUBLISH"),
        bad(MQTT_5, "82 09 00 01 02 23 00 00 01 61 00", MALFORMED_PACKET, "property 0x23 not allowed in SUBSCRIBE"),
        bad(MQTT_5, "E0 04 00 02 21 00", MALFORMED_PACKET, "property 0x21 not allowed in DISCONNECT"),
        bad(MQTT_5, "30 0E 00 01 61 0A 02 00 00 00 01 02 00 00 00 02", PROTOCOL_ERROR, "property 0x02 more than once"),
        bad(MQTT_5, "82 0A 00 01 04 0B 01 0B 02 00 01 61 00", PROTOCOL_ERROR, "property 0x0B more than once"),
        bad(MQTT_5, "40 0C 00 01 00 08 1F 00 01 61 1F 00 01 62", PROTOCOL_ERROR, "property 0x1F more than once"),
        bad(MQTT_5, "30 06 00 01 61 02 0B 00", PROTOCOL_ERROR, "subscription identifier 0"),
        bad(MQTT_5, "30 09 00 01 61 05 0B FF FF FF FF", MALFORMED_PACKET, "PUBLISH subscription identifier longer than 4 bytes"),
        bad(MQTT_5, "30 06 00 01 61 02 01 02", PROTOCOL_ERROR, "property 0x01 value 2"),
        bad(MQTT_5, "20 05 00 00 02 24 02", PROTOCOL_ERROR, "property 0x24 value 2"),
        bad(MQTT_5, "20 05 00 00 02 25 02", PROTOCOL_ERROR, "property 0x25 value 2"),
        bad(MQTT_5, "20 05 00 00 02 28 02", PROTOCOL_ERROR, "property 0x28 value 2"),
        bad(MQTT_5, "20 05 00 00 02 29 FF", PROTOCOL_ERROR, "property 0x29 value 255"),
        bad(MQTT_5, "20 05 00 00 02 2A 02", PROTOCOL_ERROR, "property 0x2A value 2"),
        bad(MQTT_5, "20 06 00 00 03 21 00 00", PROTOCOL_ERROR, "receive maximum 0"),
        bad(MQTT_5, "20 08 00 00 05 27 00 00 00 00", PROTOCOL_ERROR, "maximum packet size 0"));
  }

  @ParameterizedTest(name = "[{index}] {0} {1}")
  @MethodSource("cases")
  void failsOnceWithReasonCode(String decoder, String hex, int code, String fragment) {
    MqttDecoder d =
        decoder.equals("server")
            ? MqttDecoder.forServer(1024)
            : MqttDecoder.forClient(MqttVersion.valueOf(decoder), 1024);
    List<Object> out = Wire.feed(d, false, Wire.hex(hex), Wire.hex(PINGREQ));
    assertSingleFailure(out, code, fragment);
    // Byte by byte must give the same single failure.
    d =
        decoder.equals("server")
            ? MqttDecoder.forServer(1024)
            : MqttDecoder.forClient(MqttVersion.valueOf(decoder), 1024);
    assertSingleFailure(
        Wire.feedInSteps(d, Wire.concat(Wire.hex(hex), Wire.hex(PINGREQ)), 1), code, fragment);
  }

  static void assertSingleFailure(List<Object> out, int code, String fragment) {
    assertEquals(1, out.size(), "expected exactly one DecodeFailure, got " + out);
    DecodeFailure f = assertInstanceOf(DecodeFailure.class, out.get(0));
    assertEquals(code, f.reasonCode(), "reason code of " + f);
    assertTrue(f.message().contains(fragment), "message \"" + f.message() + "\" lacks " + fragment);
  }

  @Test
  void hugeRemainingLengthFailsAfterFiveBytesWithoutBuffering() {
    MqttDecoder d = MqttDecoder.forServer(1 << 16);
    List<Object> out = Wire.feed(d, false, Wire.hex("10 FF FF FF 7F"));
    assertSingleFailure(out, PACKET_TOO_LARGE, "268435460 bytes exceeds maximum packet size 65536");
  }

  @Test
  void packetSizeLimitCountsTheFixedHeader() {
    // PUBLISH "a" with 4 payload bytes: 2 + 3 + 4 = 9 bytes in all.
    byte[] publish = Wire.hex("30 07 00 01 61 01 02 03 04");
    assertEquals(1, Wire.feed(MqttDecoder.forClient(MQTT_3_1_1, 9), false, publish).size());
    assertInstanceOf(Publish.class, Wire.feed(MqttDecoder.forClient(MQTT_3_1_1, 9), false, publish).get(0));
    assertSingleFailure(
        Wire.feed(MqttDecoder.forClient(MQTT_3_1_1, 8), false, publish), PACKET_TOO_LARGE, "PUBLISH of 9 bytes");
  }

  @Test
  void limitChangesAfterConnect() {
    PacketFramer f = PacketFramer.forServer(64);
    byte[] connect = Wire.encode(new Connect(MQTT_5, true, 60, "c", null, null, null, null), MQTT_5);
    byte[] publish = Wire.encode(new Publish("t", 0, false, false, 0, new byte[100], null), MQTT_5);
    assertInstanceOf(Connect.class, f.next(io.netty.buffer.Unpooled.wrappedBuffer(connect)));
    f.setMaxPacketSize(1000);
    assertInstanceOf(Publish.class, f.next(io.netty.buffer.Unpooled.wrappedBuffer(publish)));
    f.setMaxPacketSize(50);
    DecodeFailure failure =
        assertInstanceOf(DecodeFailure.class, f.next(io.netty.buffer.Unpooled.wrappedBuffer(publish)));
    assertEquals(PACKET_TOO_LARGE, failure.reasonCode());
    io.netty.buffer.ByteBuf ping = io.netty.buffer.Unpooled.wrappedBuffer(Wire.hex(PINGREQ));
    assertEquals(null, f.next(ping), "input after a failure is discarded");
    assertEquals(0, ping.readableBytes());
  }

  @Test
  void packetsBeforeTheFailureAreStillDelivered() {
    List<Object> out =
        Wire.feed(MqttDecoder.forClient(MQTT_5, 100), false, Wire.hex("C0 00 D0 00 36 00 C0 00"));
    assertEquals(3, out.size());
    assertInstanceOf(PingReq.class, out.get(0));
    assertInstanceOf(PingResp.class, out.get(1));
    assertEquals(MALFORMED_PACKET, ((DecodeFailure) out.get(2)).reasonCode());
  }

  @Test
  void acceptedEdgeCases() {
    MqttDecoder d = MqttDecoder.forClient(MQTT_5, 1000);
    List<Object> out =
        Wire.feed(
            d,
            false,
            // topic alias 0 is the broker's to refuse, not the codec's
            Wire.hex("30 06 00 00 03 23 00 00"),
            // two subscription identifiers in one PUBLISH
            Wire.hex("30 08 00 01 61 04 0B 01 0B 02"),
            // empty topic, several user properties with the same name
            Wire.hex("30 0F 00 00 0C 26 00 01 61 00 00 26 00 01 61 00 00"));
    assertEquals(3, out.size(), out.toString());
    assertEquals(Integer.valueOf(0), ((Publish) out.get(0)).properties().topicAlias);
    assertEquals(List.of(1, 2), ((Publish) out.get(1)).properties().subscriptionIdentifiers);
    assertEquals(2, ((Publish) out.get(2)).properties().userProperties.size());
    // MQTT 5 allows a password without a user name.
    out =
        Wire.feed(
            MqttDecoder.forServer(100),
            false,
            Wire.hex("10 11 00 04 4D 51 54 54 05 42 00 3C 00 00 01 63 00 01 70"));
    Connect c = (Connect) out.get(0);
    assertEquals(null, c.userName());
    assertEquals(1, c.password().length);
  }
}

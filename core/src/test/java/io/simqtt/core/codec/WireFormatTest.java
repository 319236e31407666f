package io.simqtt.core.codec;

import static io.simqtt.core.codec.MqttVersion.MQTT_3_1;
import static io.simqtt.core.codec.MqttVersion.MQTT_3_1_1;
import static io.simqtt.core.codec.MqttVersion.MQTT_5;
import static io.simqtt.core.codec.PacketAssert.assertPacketEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.simqtt.core.codec.MqttPacket.*;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Exact bytes for the forms clients are known to trip over, and the short forms we accept. */
class WireFormatTest {

  private static void assertWire(String expectedHex, MqttPacket p, MqttVersion v) {
    assertEquals(expectedHex, Wire.hex(Wire.encode(p, v)));
  }

  @Test
  void v5AckWithReasonCodeAlwaysCarriesPropertyLength() {
    assertWire("40 04 00 01 10 00", new PubResponse(PacketType.PUBACK, 1, 0x10, null), MQTT_5);
    assertWire("50 04 00 01 80 00", new PubResponse(PacketType.PUBREC, 1, 0x80, null), MQTT_5);
    assertWire("62 04 00 01 92 00", new PubResponse(PacketType.PUBREL, 1, 0x92, null), MQTT_5);
    assertWire("70 04 00 01 92 00", new PubResponse(PacketType.PUBCOMP, 1, 0x92, null), MQTT_5);
  }

  @Test
  void v5AckSuccessWithoutPropertiesIsTwoBytes() {
    assertWire("40 02 00 01", new PubResponse(PacketType.PUBACK, 1, 0, null), MQTT_5);
    assertWire("40 02 00 01", new PubResponse(PacketType.PUBACK, 1, 0, MqttProperties.empty()), MQTT_5);
  }

  @Test
  void v5AckWithOnlyUserProperty() {
    assertWire(
        "40 0B 00 01 00 07 26 00 01 6B 00 01 76",
        new PubResponse(PacketType.PUBACK, 1, 0, Samples.userOnly()),
        MQTT_5);
  }

  @Test
  void v5DisconnectAndAuth() {
    assertWire("E0 00", new Disconnect(0, null), MQTT_5);
    assertWire("E0 02 8E 00", new Disconnect(ReasonCode.SESSION_TAKEN_OVER, null), MQTT_5);
    assertWire("F0 00", new Auth(0, null), MQTT_5);
    assertWire("F0 02 18 00", new Auth(ReasonCode.CONTINUE_AUTHENTICATION, null), MQTT_5);
  }

  @Test
  void v3Forms() {
    assertWire("20 02 00 02", new ConnAck(false, ReasonCode.CLIENT_IDENTIFIER_NOT_VALID, null), MQTT_3_1_1);
    assertWire("20 02 01 00", new ConnAck(true, 0, Samples.reasonAndUser()), MQTT_3_1_1);
    assertWire("20 02 00 05", new ConnAck(true, ReasonCode.BANNED, null), MQTT_3_1);
    assertWire("20 02 00 03", new ConnAck(false, ReasonCode.SERVER_BUSY, null), MQTT_3_1_1);
    assertWire("E0 00", new Disconnect(ReasonCode.SESSION_TAKEN_OVER, Samples.reasonAndUser()), MQTT_3_1_1);
    assertWire("40 02 00 01", new PubResponse(PacketType.PUBACK, 1, 0x10, Samples.userOnly()), MQTT_3_1_1);
    assertWire("62 02 00 01", new PubResponse(PacketType.PUBREL, 1, 0, null), MQTT_3_1_1);
    assertWire("B0 02 00 09", new UnsubAck(9, List.of(0, 0x11), Samples.userOnly()), MQTT_3_1_1);
    assertWire("90 06 00 01 00 01 02 80", new SubAck(1, List.of(0, 1, 2, 0x97), null), MQTT_3_1_1);
    assertWire(
        "82 06 00 01 00 01 23 01",
        new Subscribe(1, List.of(new MqttPacket.Subscription("#", 1, true, true, 2)), null),
        MQTT_3_1_1);
  }

  @Test
  void connectProtocolNames() {
    Connect c31 = new Connect(MQTT_3_1, true, 60, "c", null, null, null, null);
    assertWire("10 0F 00 06 4D 51 49 73 64 70 03 02 00 3C 00 01 63", c31, MQTT_3_1);
    Connect c311 = new Connect(MQTT_3_1_1, true, 60, "c", null, null, null, null);
    assertWire("10 0D 00 04 4D 51 54 54 04 02 00 3C 00 01 63", c311, MQTT_3_1_1);
    Connect c5 = new Connect(MQTT_5, true, 60, "c", null, null, null, null);
    assertWire("10 0E 00 04 4D 51 54 54 05 02 00 3C 00 00 01 63", c5, MQTT_5);
  }

  @Test
  void propertySectionOf128BytesOrMoreUsesTwoByteLength() {
    MqttProperties p = new MqttProperties();
    p.userProperties.add(new UserProperty("n", "x".repeat(200)));
    byte[] bytes = Wire.encode(new PubResponse(PacketType.PUBACK, 1, 0, p), MQTT_5);
    // 1 + 2+1 + 2+200 = 206 = 0xCE 0x01; remaining = 2 + 1 + 2 + 206 = 211 = 0xD3 0x01
    assertEquals("40 D3 01 00 01 00 CE 01 26 00 01 6E 00 C8", Wire.hex(bytes).substring(0, 41));
    assertPacketEquals(
        new PubResponse(PacketType.PUBACK, 1, 0, p),
        Wire.feed(MqttDecoder.forClient(MQTT_5, 1000), false, bytes).get(0));
  }

  @Test
  void subscriptionIdentifierIsVariableByteInteger() {
    MqttProperties p = new MqttProperties();
    p.subscriptionIdentifiers.add(128);
    assertWire("30 08 00 01 61 03 0B 80 01 7A", new Publish("a", 0, false, false, 0, new byte[] {'z'}, p), MQTT_5);
  }

  @Test
  void propertiesAreWrittenInIdentifierOrder() {
    MqttProperties p = new MqttProperties();
    p.userProperties.add(new UserProperty("k", "v"));
    p.reasonString = "r";
    assertWire(
        "E0 0D 00 0B 1F 00 01 72 26 00 01 6B 00 01 76", new Disconnect(0, p), MQTT_5);
  }

  @Test
  void v5ShortFormsDecode() {
    List<Object> out =
        Wire.feed(
            MqttDecoder.forClient(MQTT_5, 100),
            false,
            Wire.hex("40 02 00 01  50 03 00 02 10  62 03 00 03 92  70 04 00 04 92 00"),
            Wire.hex("E0 00  E0 01 8E  F0 00  F0 01 18"));
    assertPacketEquals(new PubResponse(PacketType.PUBACK, 1, 0, null), out.get(0));
    assertPacketEquals(new PubResponse(PacketType.PUBREC, 2, 0x10, null), out.get(1));
    assertPacketEquals(new PubResponse(PacketType.PUBREL, 3, 0x92, null), out.get(2));
    assertPacketEquals(new PubResponse(PacketType.PUBCOMP, 4, 0x92, null), out.get(3));
    assertPacketEquals(new Disconnect(0, null), out.get(4));
    assertPacketEquals(new Disconnect(0x8E, null), out.get(5));
    assertPacketEquals(new Auth(0, null), out.get(6));
    assertPacketEquals(new Auth(0x18, null), out.get(7));
    assertEquals(8, out.size());
  }

  @Test
  void v3ConnAckReturnCodesMapToReasonCodes() {
    List<Object> out =
        Wire.feed(
            MqttDecoder.forClient(MQTT_3_1_1, 100),
            false,
            Wire.hex("20 02 01 00 20 02 00 01 20 02 00 02 20 02 00 03 20 02 00 04 20 02 00 05"));
    int[] codes = {0, 0x84, 0x85, 0x88, 0x86, 0x87};
    for (int i = 0; i < codes.length; i++) {
      assertPacketEquals(new ConnAck(i == 0, codes[i], null), out.get(i));
    }
  }

  @Test
  void encoderRejectsWhatCannotBeWritten() {
    assertThrows(IllegalArgumentException.class, () -> MqttEncoder.encodedSize(new Auth(0, null), MQTT_3_1_1));
    assertThrows(
        IllegalArgumentException.class,
        () -> MqttEncoder.encodedSize(new Publish("x".repeat(65536), 0, false, false, 0, null, null), MQTT_5));
  }

  @Test
  void loneSurrogateSizeMatchesWhatIsWritten() {
    Publish p = new Publish("a\uD800b", 0, false, false, 0, null, null);
    Wire.encode(p, MQTT_5); // asserts encodedSize == written length
  }
}

package io.simqtt.core.codec;

/**
 * Checks the first byte of a packet (spec 2.1.2, 2.1.3) as soon as it arrives, so a bad type or
 * flags fail before any length is read or body buffered.
 */
final class FixedHeader {
  private FixedHeader() {}

  /**
   * Returns the packet type of {@code firstByte}.
   *
   * @param version the connection's version, or null before CONNECT
   */
  static PacketType check(int firstByte, MqttVersion version) {
    PacketType type = PacketType.of(firstByte >>> 4);
    if (type == null) {
      throw DecodeException.malformed("reserved packet type 0");
    }
    int flags = firstByte & 0x0F;
    switch (type) {
      case PUBLISH -> {
        int qos = (flags >> 1) & 0x03;
        if (qos == 3) {
          throw DecodeException.malformed("PUBLISH QoS 3");
        }
        if (qos == 0 && (flags & 0x08) != 0) {
          throw DecodeException.malformed("PUBLISH DUP flag set with QoS 0");
        }
      }
      case PUBREL, SUBSCRIBE, UNSUBSCRIBE -> {
        if (flags != 0x02) {
          throw DecodeException.malformed(type + " fixed header flags must be 0010");
        }
      }
      case AUTH -> {
        if (version != null && !version.isV5()) {
          throw DecodeException.malformed("AUTH is reserved before MQTT 5");
        }
        requireZero(type, flags);
      }
      default -> requireZero(type, flags);
    }
    return type;
  }

  private static void requireZero(PacketType type, int flags) {
    if (flags != 0) {
      throw DecodeException.malformed(type + " fixed header flags must be 0000");
    }
  }
}

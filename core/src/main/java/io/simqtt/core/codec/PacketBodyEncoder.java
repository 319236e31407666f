package io.simqtt.core.codec;

import io.netty.buffer.ByteBuf;
import io.simqtt.core.codec.MqttPacket.*;
import java.util.List;

/**
 * Sizes and writes whole packets. {@link #remainingLength} and {@link #write} mirror each other
 * field by field so the buffer can be allocated at its exact size before writing.
 */
final class PacketBodyEncoder {
  private PacketBodyEncoder() {}

  static int remainingLength(MqttPacket packet, MqttVersion version) {
    boolean v5 = version.isV5();
    long n =
        switch (packet.type()) {
          case CONNECT -> {
            Connect c = (Connect) packet;
            yield connectLength(c, connectVersion(c, version));
          }
          case CONNACK -> 2 + (v5 ? section(((ConnAck) packet).properties()) : 0);
          case PUBLISH -> {
            Publish p = (Publish) packet;
            yield stringSize(p.topic(), "topic name")
                + (p.qos() > 0 ? 2 : 0)
                + (v5 ? section(p.properties()) : 0)
                + (long) (p.payload() == null ? 0 : p.payload().length);
          }
          case PUBACK, PUBREC, PUBREL, PUBCOMP -> {
            PubResponse p = (PubResponse) packet;
            yield v5 && !isShortAck(p) ? 3 + section(p.properties()) : 2;
          }
          case SUBSCRIBE -> {
            Subscribe s = (Subscribe) packet;
            long size = 2 + (v5 ? section(s.properties()) : 0);
            for (Subscription sub : s.subscriptions()) {
              size += stringSize(sub.filter(), "topic filter") + 1;
            }
            yield size;
          }
          case SUBACK -> {
            SubAck s = (SubAck) packet;
            yield 2 + (v5 ? section(s.properties()) : 0) + s.reasonCodes().size();
          }
          case UNSUBSCRIBE -> {
            Unsubscribe u = (Unsubscribe) packet;
            long size = 2 + (v5 ? section(u.properties()) : 0);
            for (String filter : u.filters()) {
              size += stringSize(filter, "topic filter");
            }
            yield size;
          }
          case UNSUBACK -> {
            UnsubAck u = (UnsubAck) packet;
            yield v5 ? 2 + section(u.properties()) + u.reasonCodes().size() : 2;
          }
          case PINGREQ, PINGRESP -> 0;
          case DISCONNECT -> {
            Disconnect d = (Disconnect) packet;
            yield v5 && !isShortForm(d.reasonCode(), d.properties())
                ? 1 + section(d.properties())
                : 0;
          }
          case AUTH -> {
            if (!v5) {
              throw new IllegalArgumentException("AUTH does not exist in " + version);
            }
            Auth a = (Auth) packet;
            yield isShortForm(a.reasonCode(), a.properties()) ? 0 : 1 + section(a.properties());
          }
        };
    if (n > VariableByteInteger.MAX_VALUE) {
      throw new IllegalArgumentException(packet.type() + " too large: " + n + " bytes");
    }
    return (int) n;
  }

  static void write(ByteBuf buf, MqttPacket packet, MqttVersion version, int remainingLength) {
    boolean v5 = version.isV5();
    buf.writeByte(firstByte(packet));
    VariableByteInteger.write(buf, remainingLength);
    switch (packet.type()) {
      case CONNECT -> {
        Connect c = (Connect) packet;
        writeConnect(buf, c, connectVersion(c, version));
      }
      case CONNACK -> {
        ConnAck c = (ConnAck) packet;
        boolean sessionPresent = c.sessionPresent() && version != MqttVersion.MQTT_3_1;
        buf.writeByte(sessionPresent ? 1 : 0);
        buf.writeByte(v5 ? c.reasonCode() : ReasonCode.toV3ConnAck(c.reasonCode()));
        writeSection(buf, v5, c.properties());
      }
      case PUBLISH -> {
        Publish p = (Publish) packet;
        writeString(buf, p.topic());
        if (p.qos() > 0) {
          buf.writeShort(p.packetId());
        }
        writeSection(buf, v5, p.properties());
        if (p.payload() != null) {
          buf.writeBytes(p.payload());
        }
      }
      case PUBACK, PUBREC, PUBREL, PUBCOMP -> {
        PubResponse p = (PubResponse) packet;
        buf.writeShort(p.packetId());
        // Once a reason code is written the property length always follows: some clients
        // (paho-mqtt for Python) misread the form that ends after the reason code.
        if (v5 && !isShortAck(p)) {
          buf.writeByte(p.reasonCode());
          writeSection(buf, true, p.properties());
        }
      }
      case SUBSCRIBE -> {
        Subscribe s = (Subscribe) packet;
        buf.writeShort(s.packetId());
        writeSection(buf, v5, s.properties());
        for (Subscription sub : s.subscriptions()) {
          writeString(buf, sub.filter());
          buf.writeByte(v5 ? options(sub) : sub.qos());
        }
      }
      case SUBACK -> {
        SubAck s = (SubAck) packet;
        buf.writeShort(s.packetId());
        writeSection(buf, v5, s.properties());
        writeReasonCodes(buf, s.reasonCodes(), v5);
      }
      case UNSUBSCRIBE -> {
        Unsubscribe u = (Unsubscribe) packet;
        buf.writeShort(u.packetId());
        writeSection(buf, v5, u.properties());
        for (String filter : u.filters()) {
          writeString(buf, filter);
        }
      }
      case UNSUBACK -> {
        UnsubAck u = (UnsubAck) packet;
        buf.writeShort(u.packetId());
        if (v5) {
          writeSection(buf, true, u.properties());
          writeReasonCodes(buf, u.reasonCodes(), true);
        }
      }
      case PINGREQ, PINGRESP -> {}
      case DISCONNECT -> {
        Disconnect d = (Disconnect) packet;
        if (v5 && !isShortForm(d.reasonCode(), d.properties())) {
          buf.writeByte(d.reasonCode());
          writeSection(buf, true, d.properties());
        }
      }
      case AUTH -> {
        Auth a = (Auth) packet;
        if (!isShortForm(a.reasonCode(), a.properties())) {
          buf.writeByte(a.reasonCode());
          writeSection(buf, true, a.properties());
        }
      }
    }
  }

  /** CONNECT states its own protocol version; the channel's applies only if it has none. */
  private static MqttVersion connectVersion(Connect c, MqttVersion channelVersion) {
    return c.version() != null ? c.version() : channelVersion;
  }

  private static long connectLength(Connect c, MqttVersion version) {
    boolean v5 = version.isV5();
    long n = stringSize(version.protocolName(), "protocol name") + 1 + 1 + 2;
    n += v5 ? section(c.properties()) : 0;
    n += stringSize(c.clientId(), "client identifier");
    Will will = c.will();
    if (will != null) {
      n += v5 ? section(will.properties()) : 0;
      n += stringSize(will.topic(), "will topic");
      n += binarySize(will.payload(), "will payload");
    }
    if (c.userName() != null) {
      n += stringSize(c.userName(), "user name");
    }
    if (c.password() != null) {
      n += binarySize(c.password(), "password");
    }
    return n;
  }

  private static void writeConnect(ByteBuf buf, Connect c, MqttVersion version) {
    boolean v5 = version.isV5();
    writeString(buf, version.protocolName());
    buf.writeByte(version.level());
    Will will = c.will();
    int flags = c.cleanStart() ? 0x02 : 0;
    if (will != null) {
      flags |= 0x04 | (will.qos() << 3) | (will.retain() ? 0x20 : 0);
    }
    flags |= c.password() != null ? 0x40 : 0;
    flags |= c.userName() != null ? 0x80 : 0;
    buf.writeByte(flags);
    buf.writeShort(c.keepAlive());
    writeSection(buf, v5, c.properties());
    writeString(buf, c.clientId());
    if (will != null) {
      writeSection(buf, v5, will.properties());
      writeString(buf, will.topic());
      writeBinary(buf, will.payload());
    }
    if (c.userName() != null) {
      writeString(buf, c.userName());
    }
    if (c.password() != null) {
      writeBinary(buf, c.password());
    }
  }

  private static int firstByte(MqttPacket packet) {
    int b = packet.type().value() << 4;
    return switch (packet.type()) {
      case PUBLISH -> {
        Publish p = (Publish) packet;
        yield b | (p.dup() ? 0x08 : 0) | (p.qos() << 1) | (p.retain() ? 0x01 : 0);
      }
      case PUBREL, SUBSCRIBE, UNSUBSCRIBE -> b | 0x02;
      default -> b;
    };
  }

  private static int options(Subscription s) {
    return s.qos()
        | (s.noLocal() ? 0x04 : 0)
        | (s.retainAsPublished() ? 0x08 : 0)
        | (s.retainHandling() << 4);
  }

  private static void writeReasonCodes(ByteBuf buf, List<Integer> codes, boolean v5) {
    for (int code : codes) {
      // 3.1.1 SUBACK knows only granted QoS 0-2 and the single failure code 0x80.
      buf.writeByte(!v5 && code >= 0x80 ? ReasonCode.V3_SUBACK_FAILURE : code);
    }
  }

  private static boolean isShortAck(PubResponse p) {
    return isShortForm(p.reasonCode(), p.properties());
  }

  private static boolean isShortForm(int reasonCode, MqttProperties properties) {
    return reasonCode == ReasonCode.SUCCESS && PropertiesCodec.isEmpty(properties);
  }

  private static int section(MqttProperties properties) {
    return PropertiesCodec.sectionSize(PropertiesCodec.contentSize(properties));
  }

  private static void writeSection(ByteBuf buf, boolean v5, MqttProperties properties) {
    if (v5) {
      PropertiesCodec.write(buf, properties, PropertiesCodec.contentSize(properties));
    }
  }

  private static int stringSize(String s, String what) {
    return 2 + Utf8.encodedLength(s, what);
  }

  private static int binarySize(byte[] b, String what) {
    int length = b == null ? 0 : b.length;
    if (length > 0xFFFF) {
      throw new IllegalArgumentException(what + " is " + length + " bytes, more than 65535");
    }
    return 2 + length;
  }

  private static void writeString(ByteBuf buf, String s) {
    Utf8.write(buf, s, Utf8.encodedLength(s, "string"));
  }

  private static void writeBinary(ByteBuf buf, byte[] b) {
    if (b == null) {
      buf.writeShort(0);
    } else {
      buf.writeShort(b.length);
      buf.writeBytes(b);
    }
  }
}

package io.simqtt.core.codec;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;
import io.simqtt.core.codec.MqttPacket.*;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes the variable header and payload of one complete packet whose fixed header has already
 * been checked by {@link FixedHeader}. Every field is bounds-checked against the packet end, and
 * packets with a fixed structure must end exactly after their last field.
 */
final class PacketBodyDecoder {
  /**
   * One per thread, not per connection: decoding state lives only for one call, and an idle
   * connection should not carry a decoder it is not using.
   */
  private static final FastThreadLocal<PacketBodyDecoder> PER_THREAD =
      new FastThreadLocal<>() {
        @Override
        protected PacketBodyDecoder initialValue() {
          return new PacketBodyDecoder();
        }
      };

  private final FieldReader r = new FieldReader();
  /** The version of the last CONNECT whose protocol name and level were readable, else null. */
  private MqttVersion connectVersion;

  /**
   * Decodes the body in {@code buf} from its reader index to {@code end}; on success the reader
   * index is at {@code end}.
   *
   * @param version the connection's version; ignored for CONNECT, which carries its own
   */
  static PacketBodyDecoder forThisThread() {
    return PER_THREAD.get();
  }

  MqttPacket decode(ByteBuf buf, int end, PacketType type, int flags, MqttVersion version) {
    connectVersion = null;
    r.reset(buf, end, type.name());
    try {
      boolean v5 = version != null && version.isV5();
      return switch (type) {
        case CONNECT -> connect();
        case CONNACK -> connAck(version);
        case PUBLISH -> publish(flags, v5);
        case PUBACK, PUBREC, PUBREL, PUBCOMP -> pubResponse(type, v5);
        case SUBSCRIBE -> subscribe(v5);
        case SUBACK -> subAck(v5);
        case UNSUBSCRIBE -> unsubscribe(v5);
        case UNSUBACK -> unsubAck(v5);
        case PINGREQ -> {
          r.expectEnd();
          yield PingReq.INSTANCE;
        }
        case PINGRESP -> {
          r.expectEnd();
          yield PingResp.INSTANCE;
        }
        case DISCONNECT -> disconnect(v5);
        case AUTH -> auth();
      };
    } finally {
      r.clear();
    }
  }

  /**
   * The version named by the CONNECT of the last {@link #decode} call, even one that failed later
   * on (null if that packet was no CONNECT or failed before its level): the server refuses a
   * broken MQTT 5 CONNECT with a CONNACK in MQTT 5 form (spec 4.13.1).
   */
  MqttVersion connectVersion() {
    return connectVersion;
  }

  private Connect connect() {
    connectVersion = null;
    String name = r.readString("protocol name");
    int level = r.readByte("protocol level");
    MqttVersion version = MqttVersion.of(name, level);
    connectVersion = version;
    if (version == null) {
      throw new DecodeException(
          ReasonCode.UNSUPPORTED_PROTOCOL_VERSION,
          "unsupported protocol name \"" + name + "\" level " + level);
    }
    boolean v5 = version.isV5();
    int flags = r.readByte("connect flags");
    if ((flags & 0x01) != 0) {
      throw DecodeException.malformed("CONNECT reserved flag set");
    }
    boolean cleanStart = (flags & 0x02) != 0;
    boolean willFlag = (flags & 0x04) != 0;
    int willQos = (flags >> 3) & 0x03;
    boolean willRetain = (flags & 0x20) != 0;
    boolean passwordFlag = (flags & 0x40) != 0;
    boolean userNameFlag = (flags & 0x80) != 0;
    if (willQos == 3) {
      throw DecodeException.malformed("CONNECT will QoS 3");
    }
    if (!willFlag && (willQos != 0 || willRetain)) {
      throw DecodeException.malformed("CONNECT will QoS or will retain set without will flag");
    }
    if (!v5 && passwordFlag && !userNameFlag) {
      throw DecodeException.malformed("CONNECT password flag set without user name flag");
    }
    int keepAlive = r.readShort("keep alive");
    MqttProperties properties = properties(v5, PacketType.CONNECT);
    if (properties.authenticationData != null && properties.authenticationMethod == null) {
      throw DecodeException.protocolError("CONNECT authentication data without method");
    }
    String clientId = r.readString("client identifier");
    Will will = null;
    if (willFlag) {
      MqttProperties willProperties =
          v5 ? PropertiesCodec.read(r, PropertiesCodec.WILL) : MqttProperties.NONE;
      String topic = r.readString("will topic");
      byte[] payload = r.readBinary("will payload");
      will = new Will(topic, payload, willQos, willRetain, willProperties);
    }
    String userName = userNameFlag ? r.readString("user name") : null;
    byte[] password = passwordFlag ? r.readBinary("password") : null;
    r.expectEnd();
    return new Connect(version, cleanStart, keepAlive, clientId, will, userName, password, properties);
  }

  private ConnAck connAck(MqttVersion version) {
    int ackFlags = r.readByte("acknowledge flags");
    boolean sessionPresent = false;
    // 3.1 has no session present flag; the byte is reserved and unchecked.
    if (version != MqttVersion.MQTT_3_1) {
      if ((ackFlags & 0xFE) != 0) {
        throw DecodeException.malformed("CONNACK reserved acknowledge flags set");
      }
      sessionPresent = (ackFlags & 0x01) != 0;
    }
    int code = r.readByte("return code");
    boolean v5 = version.isV5();
    if (!v5) {
      code = fromV3ConnAck(code);
    }
    MqttProperties properties = properties(v5, PacketType.CONNACK);
    r.expectEnd();
    return new ConnAck(sessionPresent, code, properties);
  }

  private static int fromV3ConnAck(int returnCode) {
    return switch (returnCode) {
      case 0 -> ReasonCode.SUCCESS;
      case 1 -> ReasonCode.UNSUPPORTED_PROTOCOL_VERSION;
      case 2 -> ReasonCode.CLIENT_IDENTIFIER_NOT_VALID;
      case 3 -> ReasonCode.SERVER_UNAVAILABLE;
      case 4 -> ReasonCode.BAD_USER_NAME_OR_PASSWORD;
      case 5 -> ReasonCode.NOT_AUTHORIZED;
      default -> throw DecodeException.malformed("CONNACK return code " + returnCode);
    };
  }

  private Publish publish(int flags, boolean v5) {
    int qos = (flags >> 1) & 0x03;
    String topic = r.readString("topic name");
    int packetId = qos > 0 ? packetId() : 0;
    MqttProperties properties = properties(v5, PacketType.PUBLISH);
    byte[] payload = r.readRest();
    return new Publish(
        topic, qos, (flags & 0x01) != 0, (flags & 0x08) != 0, packetId, payload, properties);
  }

  private PubResponse pubResponse(PacketType type, boolean v5) {
    int packetId = packetId();
    int reason = ReasonCode.SUCCESS;
    MqttProperties properties;
    if (v5 && r.remaining() > 0) {
      reason = r.readByte("reason code");
      properties = optionalProperties(type);
    } else {
      properties = MqttProperties.NONE;
    }
    r.expectEnd();
    return new PubResponse(type, packetId, reason, properties);
  }

  private Subscribe subscribe(boolean v5) {
    int packetId = packetId();
    MqttProperties properties = properties(v5, PacketType.SUBSCRIBE);
    List<Subscription> subscriptions = new ArrayList<>(1);
    while (r.remaining() > 0) {
      String filter = r.readString("topic filter");
      int options = r.readByte("subscription options");
      int qos = options & 0x03;
      if (qos == 3) {
        throw DecodeException.malformed("SUBSCRIBE QoS 3");
      }
      if (!v5) {
        if ((options & 0xFC) != 0) {
          throw DecodeException.malformed("SUBSCRIBE requested QoS reserved bits set");
        }
        subscriptions.add(new Subscription(filter, qos, false, false, 0));
        continue;
      }
      if ((options & 0xC0) != 0) {
        throw DecodeException.malformed("SUBSCRIBE subscription options reserved bits set");
      }
      int retainHandling = (options >> 4) & 0x03;
      if (retainHandling == 3) {
        throw DecodeException.protocolError("SUBSCRIBE retain handling 3");
      }
      subscriptions.add(
          new Subscription(
              filter, qos, (options & 0x04) != 0, (options & 0x08) != 0, retainHandling));
    }
    if (subscriptions.isEmpty()) {
      throw DecodeException.protocolError("SUBSCRIBE without topic filters");
    }
    return new Subscribe(packetId, subscriptions, properties);
  }

  private SubAck subAck(boolean v5) {
    int packetId = packetId();
    MqttProperties properties = properties(v5, PacketType.SUBACK);
    List<Integer> codes = reasonCodes();
    if (!v5) {
      for (int code : codes) {
        // 3.1.1 reserves every return code but granted QoS 0-2 and failure 0x80.
        if (code > 2 && code != ReasonCode.V3_SUBACK_FAILURE) {
          throw DecodeException.malformed("SUBACK return code " + code);
        }
      }
    }
    return new SubAck(packetId, codes, properties);
  }

  private Unsubscribe unsubscribe(boolean v5) {
    int packetId = packetId();
    MqttProperties properties = properties(v5, PacketType.UNSUBSCRIBE);
    List<String> filters = new ArrayList<>(1);
    while (r.remaining() > 0) {
      filters.add(r.readString("topic filter"));
    }
    if (filters.isEmpty()) {
      throw DecodeException.protocolError("UNSUBSCRIBE without topic filters");
    }
    return new Unsubscribe(packetId, filters, properties);
  }

  private UnsubAck unsubAck(boolean v5) {
    int packetId = packetId();
    if (!v5) {
      r.expectEnd();
      return new UnsubAck(packetId, List.of(), MqttProperties.NONE);
    }
    MqttProperties properties = PropertiesCodec.read(r, PropertiesCodec.bit(PacketType.UNSUBACK));
    return new UnsubAck(packetId, reasonCodes(), properties);
  }

  private Disconnect disconnect(boolean v5) {
    if (!v5) {
      r.expectEnd();
      return new Disconnect(ReasonCode.NORMAL_DISCONNECTION, MqttProperties.NONE);
    }
    int reason = r.remaining() > 0 ? r.readByte("reason code") : ReasonCode.NORMAL_DISCONNECTION;
    MqttProperties properties = optionalProperties(PacketType.DISCONNECT);
    r.expectEnd();
    return new Disconnect(reason, properties);
  }

  private Auth auth() {
    int reason = r.remaining() > 0 ? r.readByte("reason code") : ReasonCode.SUCCESS;
    MqttProperties properties = optionalProperties(PacketType.AUTH);
    r.expectEnd();
    return new Auth(reason, properties);
  }

  private MqttProperties properties(boolean v5, PacketType type) {
    return v5 ? PropertiesCodec.read(r, PropertiesCodec.bit(type)) : MqttProperties.NONE;
  }

  /** The short forms of MQTT 5 acks, DISCONNECT and AUTH may stop before the property length. */
  private MqttProperties optionalProperties(PacketType type) {
    return r.remaining() > 0
        ? PropertiesCodec.read(r, PropertiesCodec.bit(type))
        : MqttProperties.NONE;
  }

  private List<Integer> reasonCodes() {
    int n = r.remaining();
    List<Integer> codes = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      codes.add(r.readByte("reason code"));
    }
    return codes;
  }

  private int packetId() {
    int id = r.readShort("packet identifier");
    if (id == 0) {
      throw DecodeException.malformed(r.packetName() + " packet identifier 0");
    }
    return id;
  }
}

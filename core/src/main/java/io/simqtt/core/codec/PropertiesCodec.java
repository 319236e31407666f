package io.simqtt.core.codec;

import static io.simqtt.core.codec.MqttProperties.*;

import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * MQTT 5 property sections (spec 2.2.2): the Variable Byte Integer length, then identifier/value
 * pairs. Which packet may carry which property follows the table in spec 2.2.2.2; a place is a
 * bit: {@code 1 << PacketType.value()} for packets and bit 0 (type 0 is reserved) for the will.
 */
final class PropertiesCodec {
  static final int WILL = 1;

  private static final int CONNECT_ = bit(PacketType.CONNECT);
  private static final int CONNACK_ = bit(PacketType.CONNACK);
  private static final int PUBLISH_ = bit(PacketType.PUBLISH);
  private static final int ACKS =
      bit(PacketType.PUBACK) | bit(PacketType.PUBREC) | bit(PacketType.PUBREL)
          | bit(PacketType.PUBCOMP);
  private static final int SUBSCRIBE_ = bit(PacketType.SUBSCRIBE);
  private static final int DISCONNECT_ = bit(PacketType.DISCONNECT);
  private static final int AUTH_ = bit(PacketType.AUTH);
  private static final int MESSAGE = PUBLISH_ | WILL;
  private static final int ANY_WITH_PROPERTIES =
      CONNECT_ | CONNACK_ | MESSAGE | ACKS | SUBSCRIBE_ | bit(PacketType.SUBACK)
          | bit(PacketType.UNSUBSCRIBE) | bit(PacketType.UNSUBACK) | DISCONNECT_ | AUTH_;

  /** Where each property identifier may appear; 0 for identifiers the spec does not define. */
  private static final int[] ALLOWED = new int[SHARED_SUBSCRIPTION_AVAILABLE + 1];

  static {
    ALLOWED[PAYLOAD_FORMAT_INDICATOR] = MESSAGE;
    ALLOWED[MESSAGE_EXPIRY_INTERVAL] = MESSAGE;
    ALLOWED[CONTENT_TYPE] = MESSAGE;
    ALLOWED[RESPONSE_TOPIC] = MESSAGE;
    ALLOWED[CORRELATION_DATA] = MESSAGE;
    ALLOWED[SUBSCRIPTION_IDENTIFIER] = PUBLISH_ | SUBSCRIBE_;
    ALLOWED[SESSION_EXPIRY_INTERVAL] = CONNECT_ | CONNACK_ | DISCONNECT_;
    ALLOWED[ASSIGNED_CLIENT_IDENTIFIER] = CONNACK_;
    ALLOWED[SERVER_KEEP_ALIVE] = CONNACK_;
    ALLOWED[AUTHENTICATION_METHOD] = CONNECT_ | CONNACK_ | AUTH_;
    ALLOWED[AUTHENTICATION_DATA] = CONNECT_ | CONNACK_ | AUTH_;
    ALLOWED[REQUEST_PROBLEM_INFORMATION] = CONNECT_;
    ALLOWED[WILL_DELAY_INTERVAL] = WILL;
    ALLOWED[REQUEST_RESPONSE_INFORMATION] = CONNECT_;
    ALLOWED[RESPONSE_INFORMATION] = CONNACK_;
    ALLOWED[SERVER_REFERENCE] = CONNACK_ | DISCONNECT_;
    ALLOWED[REASON_STRING] =
        CONNACK_ | ACKS | bit(PacketType.SUBACK) | bit(PacketType.UNSUBACK) | DISCONNECT_
            | AUTH_;
    ALLOWED[RECEIVE_MAXIMUM] = CONNECT_ | CONNACK_;
    ALLOWED[TOPIC_ALIAS_MAXIMUM] = CONNECT_ | CONNACK_;
    ALLOWED[TOPIC_ALIAS] = PUBLISH_;
    ALLOWED[MAXIMUM_QOS] = CONNACK_;
    ALLOWED[RETAIN_AVAILABLE] = CONNACK_;
    ALLOWED[USER_PROPERTY] = ANY_WITH_PROPERTIES;
    ALLOWED[MAXIMUM_PACKET_SIZE] = CONNECT_ | CONNACK_;
    ALLOWED[WILDCARD_SUBSCRIPTION_AVAILABLE] = CONNACK_;
    ALLOWED[SUBSCRIPTION_IDENTIFIER_AVAILABLE] = CONNACK_;
    ALLOWED[SHARED_SUBSCRIPTION_AVAILABLE] = CONNACK_;
  }

  private PropertiesCodec() {}

  static int bit(PacketType type) {
    return 1 << type.value();
  }

  static boolean isAllowed(int id, int place) {
    return id < ALLOWED.length && (ALLOWED[id] & place) != 0;
  }

  private static String placeName(int place) {
    return place == WILL ? "will properties" : PacketType.of(Integer.numberOfTrailingZeros(place)).name();
  }

  // ---------------------------------------------------------------- decoding

  /** Reads a property section for {@code place}; an empty section gives empty properties. */
  static MqttProperties read(FieldReader r, int place) {
    int length = r.readVariableByteInteger("property length");
    if (length == 0) {
      return MqttProperties.NONE;
    }
    MqttProperties p = new MqttProperties();
    int outer = r.push(length, "property section");
    long seen = 0;
    while (r.remaining() > 0) {
      int id = r.readVariableByteInteger("property identifier");
      if (id >= ALLOWED.length || ALLOWED[id] == 0) {
        throw DecodeException.malformed(String.format("unknown property identifier 0x%02X", id));
      }
      if ((ALLOWED[id] & place) == 0) {
        // 2.2.2.2: an identifier not valid for its packet type makes a Malformed Packet.
        throw DecodeException.malformed(
            String.format("property 0x%02X not allowed in %s", id, placeName(place)));
      }
      boolean repeatable =
          id == USER_PROPERTY || (id == SUBSCRIPTION_IDENTIFIER && place == PUBLISH_);
      if (!repeatable) {
        if ((seen & (1L << id)) != 0) {
          throw DecodeException.protocolError(
              String.format("property 0x%02X more than once in %s", id, placeName(place)));
        }
        seen |= 1L << id;
      }
      readValue(r, id, p);
    }
    r.pop(outer);
    return p;
  }

  private static void readValue(FieldReader r, int id, MqttProperties p) {
    switch (id) {
      case PAYLOAD_FORMAT_INDICATOR -> p.payloadFormatIndicator = flag(r, id);
      case MESSAGE_EXPIRY_INTERVAL -> p.messageExpiryInterval = r.readInt("message expiry");
      case CONTENT_TYPE -> p.contentType = r.readString("content type");
      case RESPONSE_TOPIC -> p.responseTopic = r.readString("response topic");
      case CORRELATION_DATA -> p.correlationData = r.readBinary("correlation data");
      case SUBSCRIPTION_IDENTIFIER -> {
        int v = r.readVariableByteInteger("subscription identifier");
        if (v == 0) {
          throw DecodeException.protocolError("subscription identifier 0");
        }
        p.subscriptionIdentifiers.add(v);
      }
      case SESSION_EXPIRY_INTERVAL -> p.sessionExpiryInterval = r.readInt("session expiry");
      case ASSIGNED_CLIENT_IDENTIFIER ->
          p.assignedClientIdentifier = r.readString("assigned client identifier");
      case SERVER_KEEP_ALIVE -> p.serverKeepAlive = r.readShort("server keep alive");
      case AUTHENTICATION_METHOD ->
          p.authenticationMethod = r.readString("authentication method");
      case AUTHENTICATION_DATA -> p.authenticationData = r.readBinary("authentication data");
      case REQUEST_PROBLEM_INFORMATION -> p.requestProblemInformation = flag(r, id);
      case WILL_DELAY_INTERVAL -> p.willDelayInterval = r.readInt("will delay interval");
      case REQUEST_RESPONSE_INFORMATION -> p.requestResponseInformation = flag(r, id);
      case RESPONSE_INFORMATION -> p.responseInformation = r.readString("response information");
      case SERVER_REFERENCE -> p.serverReference = r.readString("server reference");
      case REASON_STRING -> p.reasonString = r.readString("reason string");
      case RECEIVE_MAXIMUM -> {
        int v = r.readShort("receive maximum");
        if (v == 0) {
          throw DecodeException.protocolError("receive maximum 0");
        }
        p.receiveMaximum = v;
      }
      case TOPIC_ALIAS_MAXIMUM -> p.topicAliasMaximum = r.readShort("topic alias maximum");
      // Topic Alias 0 is well-formed; the broker answers it with 0x94 itself.
      case TOPIC_ALIAS -> p.topicAlias = r.readShort("topic alias");
      case MAXIMUM_QOS -> p.maximumQos = flag(r, id);
      case RETAIN_AVAILABLE -> p.retainAvailable = flag(r, id);
      case USER_PROPERTY ->
          p.userProperties.add(
              new UserProperty(
                  r.readString("user property name"), r.readString("user property value")));
      case MAXIMUM_PACKET_SIZE -> {
        long v = r.readInt("maximum packet size");
        if (v == 0) {
          throw DecodeException.protocolError("maximum packet size 0");
        }
        p.maximumPacketSize = v;
      }
      case WILDCARD_SUBSCRIPTION_AVAILABLE -> p.wildcardSubscriptionAvailable = flag(r, id);
      case SUBSCRIPTION_IDENTIFIER_AVAILABLE -> p.subscriptionIdentifierAvailable = flag(r, id);
      case SHARED_SUBSCRIPTION_AVAILABLE -> p.sharedSubscriptionAvailable = flag(r, id);
      default -> throw new IllegalStateException("no reader for property " + id);
    }
  }

  /** The one-byte properties that may only be 0 or 1. */
  private static int flag(FieldReader r, int id) {
    int v = r.readByte(String.format("property 0x%02X", id));
    if (v > 1) {
      throw DecodeException.protocolError(String.format("property 0x%02X value %d", id, v));
    }
    return v;
  }

  // ---------------------------------------------------------------- encoding

  /** The length of the section's content (without its own length prefix); null means empty. */
  static int contentSize(MqttProperties p) {
    if (p == null) {
      return 0;
    }
    int n = 0;
    n += p.payloadFormatIndicator != null ? 2 : 0;
    n += p.messageExpiryInterval != null ? 5 : 0;
    n += stringSize(p.contentType, "content type");
    n += stringSize(p.responseTopic, "response topic");
    n += binarySize(p.correlationData, "correlation data");
    // Lists are walked by index here and below: an iterator per walk, which escape analysis does
    // not remove at these call sites, was a sixth of what a broker allocated per message at a
    // low rate (docs/BENCHMARKS.md, "Where the tail comes from").
    List<Integer> ids = p.subscriptionIdentifiers;
    if (ids != null) {
      for (int i = 0; i < ids.size(); i++) {
        n += 1 + VariableByteInteger.size(ids.get(i));
      }
    }
    n += p.sessionExpiryInterval != null ? 5 : 0;
    n += stringSize(p.assignedClientIdentifier, "assigned client identifier");
    n += p.serverKeepAlive != null ? 3 : 0;
    n += stringSize(p.authenticationMethod, "authentication method");
    n += binarySize(p.authenticationData, "authentication data");
    n += p.requestProblemInformation != null ? 2 : 0;
    n += p.willDelayInterval != null ? 5 : 0;
    n += p.requestResponseInformation != null ? 2 : 0;
    n += stringSize(p.responseInformation, "response information");
    n += stringSize(p.serverReference, "server reference");
    n += stringSize(p.reasonString, "reason string");
    n += p.receiveMaximum != null ? 3 : 0;
    n += p.topicAliasMaximum != null ? 3 : 0;
    n += p.topicAlias != null ? 3 : 0;
    n += p.maximumQos != null ? 2 : 0;
    n += p.retainAvailable != null ? 2 : 0;
    List<UserProperty> users = p.userProperties;
    if (users != null) {
      for (int i = 0; i < users.size(); i++) {
        UserProperty u = users.get(i);
        n +=
            1
                + 2
                + Utf8.encodedLength(u.name(), "user property name")
                + 2
                + Utf8.encodedLength(u.value(), "user property value");
      }
    }
    n += p.maximumPacketSize != null ? 5 : 0;
    n += p.wildcardSubscriptionAvailable != null ? 2 : 0;
    n += p.subscriptionIdentifierAvailable != null ? 2 : 0;
    n += p.sharedSubscriptionAvailable != null ? 2 : 0;
    return n;
  }

  /** The whole section: length prefix plus content. */
  static int sectionSize(int contentSize) {
    return VariableByteInteger.size(contentSize) + contentSize;
  }

  static boolean isEmpty(MqttProperties p) {
    return p == null || contentSize(p) == 0;
  }

  /** Writes the section in identifier order; {@code contentSize} is from {@link #contentSize}. */
  static void write(ByteBuf buf, MqttProperties p, int contentSize) {
    VariableByteInteger.write(buf, contentSize);
    if (contentSize == 0) {
      return;
    }
    writeByte(buf, PAYLOAD_FORMAT_INDICATOR, p.payloadFormatIndicator);
    writeInt(buf, MESSAGE_EXPIRY_INTERVAL, p.messageExpiryInterval);
    writeString(buf, CONTENT_TYPE, p.contentType);
    writeString(buf, RESPONSE_TOPIC, p.responseTopic);
    writeBinary(buf, CORRELATION_DATA, p.correlationData);
    List<Integer> ids = p.subscriptionIdentifiers;
    if (ids != null) {
      for (int i = 0; i < ids.size(); i++) {
        buf.writeByte(SUBSCRIPTION_IDENTIFIER);
        VariableByteInteger.write(buf, ids.get(i));
      }
    }
    writeInt(buf, SESSION_EXPIRY_INTERVAL, p.sessionExpiryInterval);
    writeString(buf, ASSIGNED_CLIENT_IDENTIFIER, p.assignedClientIdentifier);
    writeShort(buf, SERVER_KEEP_ALIVE, p.serverKeepAlive);
    writeString(buf, AUTHENTICATION_METHOD, p.authenticationMethod);
    writeBinary(buf, AUTHENTICATION_DATA, p.authenticationData);
    writeByte(buf, REQUEST_PROBLEM_INFORMATION, p.requestProblemInformation);
    writeInt(buf, WILL_DELAY_INTERVAL, p.willDelayInterval);
    writeByte(buf, REQUEST_RESPONSE_INFORMATION, p.requestResponseInformation);
    writeString(buf, RESPONSE_INFORMATION, p.responseInformation);
    writeString(buf, SERVER_REFERENCE, p.serverReference);
    writeString(buf, REASON_STRING, p.reasonString);
    writeShort(buf, RECEIVE_MAXIMUM, p.receiveMaximum);
    writeShort(buf, TOPIC_ALIAS_MAXIMUM, p.topicAliasMaximum);
    writeShort(buf, TOPIC_ALIAS, p.topicAlias);
    writeByte(buf, MAXIMUM_QOS, p.maximumQos);
    writeByte(buf, RETAIN_AVAILABLE, p.retainAvailable);
    writeUserProperties(buf, p.userProperties);
    writeInt(buf, MAXIMUM_PACKET_SIZE, p.maximumPacketSize);
    writeByte(buf, WILDCARD_SUBSCRIPTION_AVAILABLE, p.wildcardSubscriptionAvailable);
    writeByte(buf, SUBSCRIPTION_IDENTIFIER_AVAILABLE, p.subscriptionIdentifierAvailable);
    writeByte(buf, SHARED_SUBSCRIPTION_AVAILABLE, p.sharedSubscriptionAvailable);
  }

  private static int stringSize(String s, String what) {
    return s == null ? 0 : 1 + 2 + Utf8.encodedLength(s, what);
  }

  private static int binarySize(byte[] b, String what) {
    if (b == null) {
      return 0;
    }
    if (b.length > 0xFFFF) {
      throw new IllegalArgumentException(what + " is " + b.length + " bytes, more than 65535");
    }
    return 1 + 2 + b.length;
  }

  private static void writeByte(ByteBuf buf, int id, Integer v) {
    if (v != null) {
      buf.writeByte(id);
      buf.writeByte(v);
    }
  }

  private static void writeShort(ByteBuf buf, int id, Integer v) {
    if (v != null) {
      buf.writeByte(id);
      buf.writeShort(v);
    }
  }

  private static void writeInt(ByteBuf buf, int id, Long v) {
    if (v != null) {
      buf.writeByte(id);
      buf.writeInt((int) (long) v);
    }
  }

  private static void writeString(ByteBuf buf, int id, String s) {
    if (s != null) {
      buf.writeByte(id);
      Utf8.write(buf, s, Utf8.encodedLength(s, "property"));
    }
  }

  private static void writeBinary(ByteBuf buf, int id, byte[] b) {
    if (b != null) {
      buf.writeByte(id);
      buf.writeShort(b.length);
      buf.writeBytes(b);
    }
  }

  private static void writeUserProperties(ByteBuf buf, List<UserProperty> list) {
    if (list == null) {
      return;
    }
    for (int i = 0; i < list.size(); i++) {
      UserProperty u = list.get(i);
      buf.writeByte(USER_PROPERTY);
      Utf8.write(buf, u.name(), Utf8.encodedLength(u.name(), "user property name"));
      Utf8.write(buf, u.value(), Utf8.encodedLength(u.value(), "user property value"));
    }
  }
}

package io.simqtt.core.codec;

import java.util.List;

/**
 * One MQTT control packet. Strings are decoded, validated UTF-8; binary fields are byte arrays the
 * packet owns (no reference counting crosses the codec).
 */
public sealed interface MqttPacket {

  PacketType type();

  /** CONNECT. {@code password} and {@code userName} are null when their flags are off. */
  record Connect(
      MqttVersion version,
      boolean cleanStart,
      int keepAlive,
      String clientId,
      Will will,
      String userName,
      byte[] password,
      MqttProperties properties)
      implements MqttPacket {
    @Override
    public PacketType type() {
      return PacketType.CONNECT;
    }
  }

  /** The will carried by CONNECT. */
  record Will(String topic, byte[] payload, int qos, boolean retain, MqttProperties properties) {}

  /** CONNACK; {@code reasonCode} is the MQTT 5 code, mapped to a 3.1.1 return code on encode. */
  record ConnAck(boolean sessionPresent, int reasonCode, MqttProperties properties)
      implements MqttPacket {
    @Override
    public PacketType type() {
      return PacketType.CONNACK;
    }
  }

  /** PUBLISH. {@code packetId} is 0 for QoS 0. */
  record Publish(
      String topic,
      int qos,
      boolean retain,
      boolean dup,
      int packetId,
      byte[] payload,
      MqttProperties properties)
      implements MqttPacket {
    @Override
    public PacketType type() {
      return PacketType.PUBLISH;
    }
  }

  /**
   * PUBACK, PUBREC, PUBREL or PUBCOMP: a packet identifier, a reason code and properties. Encoded
   * as short as the spec allows but never with the property length left out after a non-zero
   * reason code (clients misread that form).
   */
  record PubResponse(PacketType type, int packetId, int reasonCode, MqttProperties properties)
      implements MqttPacket {}

  /** SUBSCRIBE. The Subscription Identifier, if any, is in {@code properties}. */
  record Subscribe(int packetId, List<Subscription> subscriptions, MqttProperties properties)
      implements MqttPacket {
    @Override
    public PacketType type() {
      return PacketType.SUBSCRIBE;
    }
  }

  /** One filter of a SUBSCRIBE with its options (3.1.1: only {@code qos} is meaningful). */
  record Subscription(
      String filter, int qos, boolean noLocal, boolean retainAsPublished, int retainHandling) {}

  /** SUBACK with one reason code per requested filter. */
  record SubAck(int packetId, List<Integer> reasonCodes, MqttProperties properties)
      implements MqttPacket {
    @Override
    public PacketType type() {
      return PacketType.SUBACK;
    }
  }

  record Unsubscribe(int packetId, List<String> filters, MqttProperties properties)
      implements MqttPacket {
    @Override
    public PacketType type() {
      return PacketType.UNSUBSCRIBE;
    }
  }

  /** UNSUBACK; the reason codes are sent on MQTT 5 only. */
  record UnsubAck(int packetId, List<Integer> reasonCodes, MqttProperties properties)
      implements MqttPacket {
    @Override
    public PacketType type() {
      return PacketType.UNSUBACK;
    }
  }

  record PingReq() implements MqttPacket {
    public static final PingReq INSTANCE = new PingReq();

    @Override
    public PacketType type() {
      return PacketType.PINGREQ;
    }
  }

  record PingResp() implements MqttPacket {
    public static final PingResp INSTANCE = new PingResp();

    @Override
    public PacketType type() {
      return PacketType.PINGRESP;
    }
  }

  /** DISCONNECT; on 3.1.1 the reason code and properties are not on the wire. */
  record Disconnect(int reasonCode, MqttProperties properties) implements MqttPacket {
    @Override
    public PacketType type() {
      return PacketType.DISCONNECT;
    }
  }

  /** AUTH (MQTT 5 only). */
  record Auth(int reasonCode, MqttProperties properties) implements MqttPacket {
    @Override
    public PacketType type() {
      return PacketType.AUTH;
    }
  }
}

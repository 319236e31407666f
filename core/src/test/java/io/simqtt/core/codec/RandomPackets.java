package io.simqtt.core.codec;

import io.simqtt.core.codec.MqttPacket.*;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Random valid packets. For 3.1 and 3.1.1 only what those versions can carry is generated, so a
 * decoded packet must equal the original.
 */
final class RandomPackets {
  private static final int[] V3_CONNACK = {0, 0x84, 0x85, 0x88, 0x86, 0x87};
  private static final int[] V3_SUBACK = {0, 1, 2, 0x80};
  private static final int[] VBI_EDGES = {1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455};

  private final Random rnd;

  RandomPackets(Random rnd) {
    this.rnd = rnd;
  }

  Connect connect(MqttVersion v) {
    boolean v5 = v.isV5();
    Will will = null;
    if (rnd.nextBoolean()) {
      will =
          new Will(
              string(20), bytes(40), rnd.nextInt(3), rnd.nextBoolean(), props(v, PropertiesCodec.WILL));
    }
    String user = rnd.nextBoolean() ? string(10) : null;
    byte[] password = (v5 || user != null) && rnd.nextBoolean() ? bytes(10) : null;
    MqttProperties p = props(v, PropertiesCodec.bit(PacketType.CONNECT));
    if (p.authenticationData != null && p.authenticationMethod == null) {
      p.authenticationMethod = "m";
    }
    return new Connect(v, rnd.nextBoolean(), rnd.nextInt(65536), string(23), will, user, password, p);
  }

  /** Any packet but CONNECT. */
  MqttPacket next(MqttVersion v) {
    boolean v5 = v.isV5();
    PacketType type = PacketType.of(2 + rnd.nextInt(v5 ? 14 : 13));
    MqttProperties p = props(v, PropertiesCodec.bit(type));
    return switch (type) {
      case CONNACK ->
          new ConnAck(
              v != MqttVersion.MQTT_3_1 && rnd.nextBoolean(),
              v5 ? rnd.nextInt(256) : V3_CONNACK[rnd.nextInt(V3_CONNACK.length)],
              p);
      case PUBLISH -> {
        int qos = rnd.nextInt(3);
        yield new Publish(
            string(30), qos, rnd.nextBoolean(), qos > 0 && rnd.nextBoolean(),
            qos > 0 ? packetId() : 0, bytes(rnd.nextInt(4) == 0 ? 2000 : 50), p);
      }
      case PUBACK, PUBREC, PUBREL, PUBCOMP ->
          new PubResponse(type, packetId(), v5 && rnd.nextBoolean() ? rnd.nextInt(256) : 0, p);
      case SUBSCRIBE -> {
        List<Subscription> subs = new ArrayList<>();
        for (int i = 1 + rnd.nextInt(4); i > 0; i--) {
          subs.add(
              v5
                  ? new Subscription(string(20), rnd.nextInt(3), rnd.nextBoolean(), rnd.nextBoolean(), rnd.nextInt(3))
                  : new Subscription(string(20), rnd.nextInt(3), false, false, 0));
        }
        yield new Subscribe(packetId(), subs, p);
      }
      case SUBACK -> {
        List<Integer> codes = new ArrayList<>();
        for (int i = rnd.nextInt(5); i > 0; i--) {
          codes.add(v5 ? rnd.nextInt(256) : V3_SUBACK[rnd.nextInt(V3_SUBACK.length)]);
        }
        yield new SubAck(packetId(), codes, p);
      }
      case UNSUBSCRIBE -> {
        List<String> filters = new ArrayList<>();
        for (int i = 1 + rnd.nextInt(4); i > 0; i--) {
          filters.add(string(20));
        }
        yield new Unsubscribe(packetId(), filters, p);
      }
      case UNSUBACK -> {
        List<Integer> codes = new ArrayList<>();
        for (int i = v5 ? rnd.nextInt(5) : 0; i > 0; i--) {
          codes.add(rnd.nextInt(256));
        }
        yield new UnsubAck(packetId(), codes, p);
      }
      case PINGREQ -> PingReq.INSTANCE;
      case PINGRESP -> PingResp.INSTANCE;
      case DISCONNECT -> new Disconnect(v5 ? rnd.nextInt(256) : 0, p);
      case AUTH -> new Auth(rnd.nextInt(256), p);
      case CONNECT -> throw new AssertionError();
    };
  }

  /** Random properties allowed at {@code place}; empty before MQTT 5 or where none are allowed. */
  MqttProperties props(MqttVersion v, int place) {
    MqttProperties p = new MqttProperties();
    if (!v.isV5() || rnd.nextInt(3) == 0) {
      return p;
    }
    for (int id = 1; id <= MqttProperties.SHARED_SUBSCRIPTION_AVAILABLE; id++) {
      if (!PropertiesCodec.isAllowed(id, place) || rnd.nextInt(4) != 0) {
        continue;
      }
      switch (id) {
        case MqttProperties.PAYLOAD_FORMAT_INDICATOR -> p.payloadFormatIndicator = rnd.nextInt(2);
        case MqttProperties.MESSAGE_EXPIRY_INTERVAL -> p.messageExpiryInterval = u32();
        case MqttProperties.CONTENT_TYPE -> p.contentType = string(20);
        case MqttProperties.RESPONSE_TOPIC -> p.responseTopic = string(20);
        case MqttProperties.CORRELATION_DATA -> p.correlationData = bytes(30);
        case MqttProperties.SUBSCRIPTION_IDENTIFIER -> {
          int n = place == PropertiesCodec.bit(PacketType.PUBLISH) ? 1 + rnd.nextInt(3) : 1;
          for (int i = 0; i < n; i++) {
            p.subscriptionIdentifiers.add(
                rnd.nextBoolean()
                    ? VBI_EDGES[rnd.nextInt(VBI_EDGES.length)]
                    : 1 + rnd.nextInt(VariableByteInteger.MAX_VALUE));
          }
        }
        case MqttProperties.SESSION_EXPIRY_INTERVAL -> p.sessionExpiryInterval = u32();
        case MqttProperties.ASSIGNED_CLIENT_IDENTIFIER -> p.assignedClientIdentifier = string(20);
        case MqttProperties.SERVER_KEEP_ALIVE -> p.serverKeepAlive = rnd.nextInt(65536);
        case MqttProperties.AUTHENTICATION_METHOD -> p.authenticationMethod = string(10);
        case MqttProperties.AUTHENTICATION_DATA -> p.authenticationData = bytes(30);
        case MqttProperties.REQUEST_PROBLEM_INFORMATION -> p.requestProblemInformation = rnd.nextInt(2);
        case MqttProperties.WILL_DELAY_INTERVAL -> p.willDelayInterval = u32();
        case MqttProperties.REQUEST_RESPONSE_INFORMATION -> p.requestResponseInformation = rnd.nextInt(2);
        case MqttProperties.RESPONSE_INFORMATION -> p.responseInformation = string(20);
        case MqttProperties.SERVER_REFERENCE -> p.serverReference = string(20);
        case MqttProperties.REASON_STRING -> p.reasonString = string(40);
        case MqttProperties.RECEIVE_MAXIMUM -> p.receiveMaximum = 1 + rnd.nextInt(65535);
        case MqttProperties.TOPIC_ALIAS_MAXIMUM -> p.topicAliasMaximum = rnd.nextInt(65536);
        case MqttProperties.TOPIC_ALIAS -> p.topicAlias = rnd.nextInt(65536);
        case MqttProperties.MAXIMUM_QOS -> p.maximumQos = rnd.nextInt(2);
        case MqttProperties.RETAIN_AVAILABLE -> p.retainAvailable = rnd.nextInt(2);
        case MqttProperties.USER_PROPERTY -> {
          for (int i = 1 + rnd.nextInt(4); i > 0; i--) {
            p.userProperties.add(new UserProperty(string(10), string(rnd.nextInt(5) == 0 ? 300 : 20)));
          }
        }
        case MqttProperties.MAXIMUM_PACKET_SIZE -> p.maximumPacketSize = Math.max(1, u32());
        case MqttProperties.WILDCARD_SUBSCRIPTION_AVAILABLE -> p.wildcardSubscriptionAvailable = rnd.nextInt(2);
        case MqttProperties.SUBSCRIPTION_IDENTIFIER_AVAILABLE -> p.subscriptionIdentifierAvailable = rnd.nextInt(2);
        case MqttProperties.SHARED_SUBSCRIPTION_AVAILABLE -> p.sharedSubscriptionAvailable = rnd.nextInt(2);
        default -> throw new AssertionError("unhandled property " + id);
      }
    }
    return p;
  }

  /** Up to {@code maxCodePoints} code points from every UTF-8 length class, never U+0000. */
  String string(int maxCodePoints) {
    StringBuilder sb = new StringBuilder();
    for (int i = rnd.nextInt(maxCodePoints + 1); i > 0; i--) {
      int cp =
          switch (rnd.nextInt(8)) {
            case 0 -> 0x80 + rnd.nextInt(0x780);
            case 1 -> 0x800 + rnd.nextInt(0xD800 - 0x800);
            case 2 -> 0xE000 + rnd.nextInt(0x2000);
            case 3 -> 0x10000 + rnd.nextInt(0x100000);
            default -> 1 + rnd.nextInt(0x7F);
          };
      sb.appendCodePoint(cp);
    }
    return sb.toString();
  }

  byte[] bytes(int max) {
    byte[] b = new byte[rnd.nextInt(max + 1)];
    rnd.nextBytes(b);
    return b;
  }

  private int packetId() {
    return 1 + rnd.nextInt(65535);
  }

  private long u32() {
    return rnd.nextLong() >>> 32;
  }
}

package io.simqtt.core.codec;

import io.simqtt.core.codec.MqttPacket.*;
import java.util.ArrayList;
import java.util.List;

/** One rich example of every packet type for a version, using every property it may carry. */
final class Samples {
  static final String UNICODE_TOPIC = "sensors/température/😀/東京";
  static final String LONG_VALUE = "v".repeat(150) + "é".repeat(75); // 300 bytes of UTF-8

  private Samples() {}

  static List<MqttPacket> all(MqttVersion v) {
    boolean v5 = v.isV5();
    List<MqttPacket> list = new ArrayList<>();
    list.add(connect(v));
    list.add(
        new Connect(v, false, 0, "", null, null, null, v5 ? null : MqttProperties.empty()));
    list.add(new ConnAck(v != MqttVersion.MQTT_3_1, 0, v5 ? connAckProperties() : null));
    list.add(new ConnAck(false, ReasonCode.CLIENT_IDENTIFIER_NOT_VALID, null));
    list.add(
        new Publish(UNICODE_TOPIC, 2, true, true, 65535, bytes(1000), v5 ? publishProperties() : null));
    list.add(new Publish("a/b", 0, false, false, 0, new byte[0], null));
    list.add(new Publish("", 1, false, false, 1, bytes(3), v5 ? alias(5) : null));
    for (PacketType t :
        List.of(PacketType.PUBACK, PacketType.PUBREC, PacketType.PUBREL, PacketType.PUBCOMP)) {
      list.add(new PubResponse(t, 1, 0, null));
      if (v5) {
        list.add(new PubResponse(t, 2, 0x10, null));
        list.add(new PubResponse(t, 3, 0, userOnly()));
        list.add(new PubResponse(t, 4, 0x80, reasonAndUser()));
      }
    }
    list.add(
        new Subscribe(
            7,
            List.of(
                new Subscription("a/+/c", 0, false, false, 0),
                new Subscription(UNICODE_TOPIC, 1, v5, v5, v5 ? 1 : 0),
                new Subscription("#", 2, false, v5, v5 ? 2 : 0)),
            v5 ? subscribeProperties() : null));
    list.add(new SubAck(7, List.of(0, 1, 2, 0x80), v5 ? reasonAndUser() : null));
    list.add(new Unsubscribe(8, List.of("a/+/c", UNICODE_TOPIC), v5 ? userOnly() : null));
    list.add(new UnsubAck(8, v5 ? List.of(0, 0x11, 0x87) : List.of(), v5 ? reasonAndUser() : null));
    list.add(PingReq.INSTANCE);
    list.add(PingResp.INSTANCE);
    list.add(new Disconnect(0, null));
    if (v5) {
      list.add(new Disconnect(ReasonCode.SESSION_TAKEN_OVER, null));
      list.add(new Disconnect(ReasonCode.SERVER_MOVED, disconnectProperties()));
      list.add(new Auth(0, null));
      list.add(new Auth(ReasonCode.CONTINUE_AUTHENTICATION, authProperties()));
    }
    return list;
  }

  static Connect connect(MqttVersion v) {
    boolean v5 = v.isV5();
    MqttProperties willProps = null;
    MqttProperties props = null;
    if (v5) {
      willProps = messageProperties();
      willProps.willDelayInterval = 4_294_967_295L;
      props = new MqttProperties();
      props.sessionExpiryInterval = 3600L;
      props.receiveMaximum = 65535;
      props.maximumPacketSize = 268_435_460L;
      props.topicAliasMaximum = 10;
      props.requestResponseInformation = 1;
      props.requestProblemInformation = 0;
      props.authenticationMethod = "SCRAM-SHA-256";
      props.authenticationData = bytes(40);
      props.userProperties.addAll(users());
    }
    Will will = new Will("will/" + UNICODE_TOPIC, bytes(200), 1, true, willProps);
    return new Connect(v, true, 65535, "client-ü-1", will, "user", bytes(20), props);
  }

  static MqttProperties messageProperties() {
    MqttProperties p = new MqttProperties();
    p.payloadFormatIndicator = 1;
    p.messageExpiryInterval = 4_294_967_295L;
    p.contentType = "application/json; charset=ü";
    p.responseTopic = "reply/" + UNICODE_TOPIC;
    p.correlationData = bytes(256);
    p.userProperties.addAll(users());
    return p;
  }

  static MqttProperties publishProperties() {
    MqttProperties p = messageProperties();
    p.topicAlias = 0;
    p.subscriptionIdentifiers.addAll(List.of(1, 127, 128, 16_383, 16_384, 2_097_152, 268_435_455));
    return p;
  }

  static MqttProperties connAckProperties() {
    MqttProperties p = new MqttProperties();
    p.sessionExpiryInterval = 0L;
    p.assignedClientIdentifier = "auto-1234";
    p.serverKeepAlive = 30;
    p.authenticationMethod = "SCRAM-SHA-256";
    p.authenticationData = bytes(3);
    p.responseInformation = "resp/";
    p.serverReference = "other:1883";
    p.reasonString = "welcome";
    p.receiveMaximum = 100;
    p.topicAliasMaximum = 0;
    p.maximumQos = 1;
    p.retainAvailable = 0;
    p.maximumPacketSize = 1L;
    p.wildcardSubscriptionAvailable = 1;
    p.subscriptionIdentifierAvailable = 0;
    p.sharedSubscriptionAvailable = 1;
    p.userProperties.addAll(users());
    return p;
  }

  static MqttProperties subscribeProperties() {
    MqttProperties p = new MqttProperties();
    p.subscriptionIdentifiers.add(268_435_455);
    p.userProperties.addAll(users());
    return p;
  }

  static MqttProperties disconnectProperties() {
    MqttProperties p = new MqttProperties();
    p.sessionExpiryInterval = 10L;
    p.reasonString = "moved";
    p.serverReference = "elsewhere";
    p.userProperties.addAll(users());
    return p;
  }

  static MqttProperties authProperties() {
    MqttProperties p = new MqttProperties();
    p.authenticationMethod = "SCRAM-SHA-256";
    p.authenticationData = bytes(64);
    p.reasonString = "continue";
    p.userProperties.addAll(users());
    return p;
  }

  static MqttProperties userOnly() {
    MqttProperties p = new MqttProperties();
    p.userProperties.add(new UserProperty("k", "v"));
    return p;
  }

  static MqttProperties reasonAndUser() {
    MqttProperties p = new MqttProperties();
    p.reasonString = "because ☃";
    p.userProperties.addAll(users());
    return p;
  }

  static MqttProperties alias(int alias) {
    MqttProperties p = new MqttProperties();
    p.topicAlias = alias;
    return p;
  }

  /** Over 128 bytes on their own, with a repeated name (order and duplicates must survive). */
  static List<UserProperty> users() {
    return List.of(
        new UserProperty("a", "1"),
        new UserProperty("long", LONG_VALUE),
        new UserProperty("a", "2"),
        new UserProperty("", ""));
  }

  static byte[] bytes(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 31 + 7);
    }
    return b;
  }
}

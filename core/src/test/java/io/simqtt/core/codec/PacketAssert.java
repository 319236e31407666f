package io.simqtt.core.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket.*;
import java.util.List;

/**
 * Field-by-field packet comparison: records holding byte[] compare arrays by identity, and {@link
 * MqttProperties} has no equals. Null properties and empty properties are the same thing.
 */
final class PacketAssert {
  private PacketAssert() {}

  static void assertPacketEquals(MqttPacket expected, Object actualObject) {
    MqttPacket actual = assertInstanceOf(MqttPacket.class, actualObject, "not a packet");
    assertEquals(expected.type(), actual.type(), "type");
    String t = expected.type() + " ";
    switch (expected.type()) {
      case CONNECT -> {
        Connect e = (Connect) expected;
        Connect a = (Connect) actual;
        assertEquals(e.version(), a.version(), t + "version");
        assertEquals(e.cleanStart(), a.cleanStart(), t + "cleanStart");
        assertEquals(e.keepAlive(), a.keepAlive(), t + "keepAlive");
        assertEquals(e.clientId(), a.clientId(), t + "clientId");
        assertEquals(e.userName(), a.userName(), t + "userName");
        assertArrayEquals(e.password(), a.password(), t + "password");
        assertPropertiesEqual(e.properties(), a.properties(), t);
        if (e.will() == null) {
          assertNull(a.will(), t + "will");
        } else {
          Will ew = e.will();
          Will aw = a.will();
          assertEquals(ew.topic(), aw.topic(), t + "will topic");
          assertArrayEquals(orEmpty(ew.payload()), aw.payload(), t + "will payload");
          assertEquals(ew.qos(), aw.qos(), t + "will qos");
          assertEquals(ew.retain(), aw.retain(), t + "will retain");
          assertPropertiesEqual(ew.properties(), aw.properties(), t + "will ");
        }
      }
      case CONNACK -> {
        ConnAck e = (ConnAck) expected;
        ConnAck a = (ConnAck) actual;
        assertEquals(e.sessionPresent(), a.sessionPresent(), t + "sessionPresent");
        assertEquals(e.reasonCode(), a.reasonCode(), t + "reasonCode");
        assertPropertiesEqual(e.properties(), a.properties(), t);
      }
      case PUBLISH -> {
        Publish e = (Publish) expected;
        Publish a = (Publish) actual;
        assertEquals(e.topic(), a.topic(), t + "topic");
        assertEquals(e.qos(), a.qos(), t + "qos");
        assertEquals(e.retain(), a.retain(), t + "retain");
        assertEquals(e.dup(), a.dup(), t + "dup");
        assertEquals(e.packetId(), a.packetId(), t + "packetId");
        assertArrayEquals(orEmpty(e.payload()), a.payload(), t + "payload");
        assertPropertiesEqual(e.properties(), a.properties(), t);
      }
      case PUBACK, PUBREC, PUBREL, PUBCOMP -> {
        PubResponse e = (PubResponse) expected;
        PubResponse a = (PubResponse) actual;
        assertEquals(e.packetId(), a.packetId(), t + "packetId");
        assertEquals(e.reasonCode(), a.reasonCode(), t + "reasonCode");
        assertPropertiesEqual(e.properties(), a.properties(), t);
      }
      case SUBSCRIBE -> {
        Subscribe e = (Subscribe) expected;
        Subscribe a = (Subscribe) actual;
        assertEquals(e.packetId(), a.packetId(), t + "packetId");
        assertEquals(e.subscriptions(), a.subscriptions(), t + "subscriptions");
        assertPropertiesEqual(e.properties(), a.properties(), t);
      }
      case SUBACK -> {
        SubAck e = (SubAck) expected;
        SubAck a = (SubAck) actual;
        assertEquals(e.packetId(), a.packetId(), t + "packetId");
        assertEquals(e.reasonCodes(), a.reasonCodes(), t + "reasonCodes");
        assertPropertiesEqual(e.properties(), a.properties(), t);
      }
      case UNSUBSCRIBE -> {
        Unsubscribe e = (Unsubscribe) expected;
        Unsubscribe a = (Unsubscribe) actual;
        assertEquals(e.packetId(), a.packetId(), t + "packetId");
        assertEquals(e.filters(), a.filters(), t + "filters");
        assertPropertiesEqual(e.properties(), a.properties(), t);
      }
      case UNSUBACK -> {
        UnsubAck e = (UnsubAck) expected;
        UnsubAck a = (UnsubAck) actual;
        assertEquals(e.packetId(), a.packetId(), t + "packetId");
        assertEquals(e.reasonCodes(), a.reasonCodes(), t + "reasonCodes");
        assertPropertiesEqual(e.properties(), a.properties(), t);
      }
      case PINGREQ, PINGRESP -> {}
      case DISCONNECT -> {
        Disconnect e = (Disconnect) expected;
        Disconnect a = (Disconnect) actual;
        assertEquals(e.reasonCode(), a.reasonCode(), t + "reasonCode");
        assertPropertiesEqual(e.properties(), a.properties(), t);
      }
      case AUTH -> {
        Auth e = (Auth) expected;
        Auth a = (Auth) actual;
        assertEquals(e.reasonCode(), a.reasonCode(), t + "reasonCode");
        assertPropertiesEqual(e.properties(), a.properties(), t);
      }
    }
  }

  static void assertPropertiesEqual(MqttProperties expected, MqttProperties actual, String where) {
    MqttProperties e = expected == null ? MqttProperties.empty() : expected;
    assertTrue(actual != null, where + "decoded properties are null");
    String w = where + "property ";
    assertEquals(e.payloadFormatIndicator, actual.payloadFormatIndicator, w + "payloadFormat");
    assertEquals(e.messageExpiryInterval, actual.messageExpiryInterval, w + "messageExpiry");
    assertEquals(e.contentType, actual.contentType, w + "contentType");
    assertEquals(e.responseTopic, actual.responseTopic, w + "responseTopic");
    assertArrayEquals(e.correlationData, actual.correlationData, w + "correlationData");
    assertEquals(list(e.subscriptionIdentifiers), list(actual.subscriptionIdentifiers), w + "subIds");
    assertEquals(e.sessionExpiryInterval, actual.sessionExpiryInterval, w + "sessionExpiry");
    assertEquals(e.assignedClientIdentifier, actual.assignedClientIdentifier, w + "assignedId");
    assertEquals(e.serverKeepAlive, actual.serverKeepAlive, w + "serverKeepAlive");
    assertEquals(e.authenticationMethod, actual.authenticationMethod, w + "authMethod");
    assertArrayEquals(e.authenticationData, actual.authenticationData, w + "authData");
    assertEquals(e.requestProblemInformation, actual.requestProblemInformation, w + "reqProblem");
    assertEquals(e.willDelayInterval, actual.willDelayInterval, w + "willDelay");
    assertEquals(e.requestResponseInformation, actual.requestResponseInformation, w + "reqResp");
    assertEquals(e.responseInformation, actual.responseInformation, w + "responseInfo");
    assertEquals(e.serverReference, actual.serverReference, w + "serverReference");
    assertEquals(e.reasonString, actual.reasonString, w + "reasonString");
    assertEquals(e.receiveMaximum, actual.receiveMaximum, w + "receiveMaximum");
    assertEquals(e.topicAliasMaximum, actual.topicAliasMaximum, w + "topicAliasMaximum");
    assertEquals(e.topicAlias, actual.topicAlias, w + "topicAlias");
    assertEquals(e.maximumQos, actual.maximumQos, w + "maximumQos");
    assertEquals(e.retainAvailable, actual.retainAvailable, w + "retainAvailable");
    assertEquals(list(e.userProperties), list(actual.userProperties), w + "userProperties");
    assertEquals(e.maximumPacketSize, actual.maximumPacketSize, w + "maximumPacketSize");
    assertEquals(e.wildcardSubscriptionAvailable, actual.wildcardSubscriptionAvailable, w + "wc");
    assertEquals(
        e.subscriptionIdentifierAvailable, actual.subscriptionIdentifierAvailable, w + "subIdAv");
    assertEquals(e.sharedSubscriptionAvailable, actual.sharedSubscriptionAvailable, w + "shared");
  }

  private static <T> List<T> list(List<T> l) {
    return l == null ? List.of() : l;
  }

  private static byte[] orEmpty(byte[] b) {
    return b == null ? new byte[0] : b;
  }
}

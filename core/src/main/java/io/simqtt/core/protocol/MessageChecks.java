package io.simqtt.core.protocol;

import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.Utf8;
import io.simqtt.core.topic.Topics;

/**
 * What the broker checks of an application message's MQTT 5 properties beyond their encoding,
 * for a PUBLISH and for the will of a CONNECT alike.
 */
final class MessageChecks {
  private MessageChecks() {}

  /**
   * A Response Topic, if any, is a topic name a responder can publish to: no wildcards, not
   * empty [MQTT-3.3.2-14]. The level limit is the broker's own rule for its topics, not applied.
   */
  static boolean hasValidResponseTopic(MqttProperties p) {
    return p.responseTopic == null || Topics.isValidTopicName(p.responseTopic, 0);
  }

  /**
   * A payload marked as UTF-8 (Payload Format Indicator 1) is well-formed UTF-8. The spec lets
   * the receiver check this (3.1.3.2.3, 3.3.2.3.2); the broker does, so a subscriber that trusts
   * the mark is never handed bytes that break its decoder.
   */
  static boolean hasValidPayloadFormat(MqttProperties p, byte[] payload) {
    Integer format = p.payloadFormatIndicator;
    return format == null || format == 0 || Utf8.isWellFormed(payload);
  }
}

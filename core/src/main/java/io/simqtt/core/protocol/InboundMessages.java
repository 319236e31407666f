package io.simqtt.core.protocol;

import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.message.Message;

/** Turns an accepted PUBLISH into the message the broker routes. */
final class InboundMessages {
  private InboundMessages() {}

  /**
   * Strips what belongs to the hop (Topic Alias) and stamps the expiry deadline; the properties
   * are only copied when something has to be removed. {@code origin} and {@code stamp} identify
   * the message cluster-wide (stamp 0: a single node, no identity).
   */
  static Message of(Publish p, String topic, String publisherId, String origin, long stamp) {
    MqttProperties props = p.properties();
    long expiresAt = 0;
    Long expiry = props.messageExpiryInterval;
    if (expiry != null || props.topicAlias != null) {
      props = props.copy();
      props.topicAlias = null;
      props.messageExpiryInterval = null;
      // 0 is treated as no expiry, as other brokers do.
      if (expiry != null && expiry > 0) {
        expiresAt = System.currentTimeMillis() + expiry * 1000;
      }
    }
    return new Message(
        topic, p.payload(), p.qos(), p.retain(), props, expiresAt, publisherId,
        stamp == 0 ? "" : origin, stamp);
  }
}

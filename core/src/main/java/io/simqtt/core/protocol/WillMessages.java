package io.simqtt.core.protocol;

import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.message.Message;
import io.simqtt.core.session.Will;

/** Turns the will of a CONNECT into the message the broker publishes for it. */
final class WillMessages {
  private WillMessages() {}

  static Will of(MqttPacket.Will w, String clientId) {
    MqttProperties props = w.properties();
    long delay = props.willDelayInterval == null ? 0 : props.willDelayInterval;
    long expiry = props.messageExpiryInterval == null ? 0 : props.messageExpiryInterval;
    MqttProperties passed = props;
    if (props.willDelayInterval != null || props.messageExpiryInterval != null) {
      passed = props.copy();
      passed.willDelayInterval = null;
      passed.messageExpiryInterval = null;
    }
    return new Will(
        new Message(w.topic(), w.payload(), w.qos(), w.retain(), passed, 0, clientId),
        delay,
        expiry);
  }
}

package io.simqtt.core.session;

import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttProperties;

/** Builds the PUBLISH packet one delivery is sent as. */
final class OutboundPublish {
  private OutboundPublish() {}

  static Publish of(Delivery d, int packetId, boolean dup, boolean v5, long nowMillis) {
    var m = d.message();
    MqttProperties props = m.properties();
    if (v5 && (m.hasExpiry() || d.subscriptionIds().length > 0)) {
      props = props.copy();
      if (m.hasExpiry()) {
        props.messageExpiryInterval = m.remainingExpirySeconds(nowMillis);
      }
      for (int id : d.subscriptionIds()) {
        props.subscriptionIdentifiers.add(id);
      }
    }
    return new Publish(m.topic(), d.qos(), d.retain(), dup, packetId, m.payload(), props);
  }
}

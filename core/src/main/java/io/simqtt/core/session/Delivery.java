package io.simqtt.core.session;

import io.netty.buffer.ByteBufUtil;
import io.simqtt.core.codec.MqttEncoder;
import io.simqtt.core.message.Message;

/**
 * One message on its way to one session, in the form that session gets it.
 *
 * @param message the shared message
 * @param qos the QoS of this delivery: the lower of the published QoS and the subscription's
 * @param retain the RETAIN flag this delivery carries (Retain As Published, or a retained message
 *     sent on subscribe)
 * @param subscriptionIds every Subscription Identifier of the matching subscriptions (may be empty)
 * @param sharedGroup the shared subscription ("$share/g/f") that chose this session, or null; such
 *     a delivery goes to another member if it is still queued when this one disconnects, or
 *     unacknowledged when this one's session ends
 */
public record Delivery(
    Message message, int qos, boolean retain, int[] subscriptionIds, String sharedGroup) {

  /** A delivery for an ordinary subscription. */
  public Delivery(Message message, int qos, boolean retain, int[] subscriptionIds) {
    this(message, qos, retain, subscriptionIds, null);
  }

  /**
   * What this delivery weighs against its session's queue bound ({@code
   * mqtt.sessions.max-queued-bytes}): its message's payload, topic (UTF-8) and properties as
   * encoded. Computed from the message alone, so a delivery read back from disk or received
   * from another node weighs what it weighed when it was queued.
   */
  public int queuedBytes() {
    Message m = message;
    return m.payload().length
        + ByteBufUtil.utf8Bytes(m.topic())
        + MqttEncoder.propertiesSize(m.properties());
  }
}

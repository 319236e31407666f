package io.simqtt.core.session;

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

  /** What this delivery weighs against its session's queue bound ({@link Message#queuedBytes}). */
  public int queuedBytes() {
    return message.queuedBytes();
  }
}

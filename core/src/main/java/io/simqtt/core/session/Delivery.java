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
 * @param onSubscribe a retained message this node sent for a SUBSCRIBE (MQTT 5 3.3.1.3, 3.8.3.1):
 *     the client's own copy, made here for that request, never a second copy of a routed one, so
 *     a session's window for second copies after a move lets it pass and does not record it
 *     ({@link SeenMessages})
 */
public record Delivery(
    Message message,
    int qos,
    boolean retain,
    int[] subscriptionIds,
    String sharedGroup,
    boolean onSubscribe) {

  /** A delivery for an ordinary subscription. */
  public Delivery(Message message, int qos, boolean retain, int[] subscriptionIds) {
    this(message, qos, retain, subscriptionIds, null);
  }

  /** A routed delivery, for shared subscription {@code sharedGroup} or none (null). */
  public Delivery(
      Message message, int qos, boolean retain, int[] subscriptionIds, String sharedGroup) {
    this(message, qos, retain, subscriptionIds, sharedGroup, false);
  }

  /**
   * Retained message {@code m} sent for a SUBSCRIBE whose matching subscription has {@code
   * subscriptionIds}, at {@code qos}: with RETAIN set (MQTT 5 3.3.1.3).
   */
  public static Delivery retainedOnSubscribe(Message m, int qos, int[] subscriptionIds) {
    return new Delivery(m, qos, true, subscriptionIds, null, true);
  }

  /** What this delivery weighs against its session's queue bound ({@link Message#queuedBytes}). */
  public int queuedBytes() {
    return message.queuedBytes();
  }
}

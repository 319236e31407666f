package io.simqtt.core.routing;

import io.simqtt.core.message.Message;
import io.simqtt.core.session.Delivery;
import io.simqtt.core.topic.SubscriptionOptions;
import java.util.Arrays;

/** Folds the matching subscriptions of one client into the single delivery it receives. */
final class DeliveryFold {
  private static final int[] NO_IDS = new int[0];

  private final Message message;
  private int qos = -1;
  private boolean retain;
  private int[] ids = NO_IDS;

  DeliveryFold(Message message) {
    this.message = message;
  }

  static Delivery single(Message message, SubscriptionOptions o) {
    return shared(message, o, null);
  }

  /** The delivery for the member a shared subscription chose ({@code group} null: not shared). */
  static Delivery shared(Message message, SubscriptionOptions o, String group) {
    return new Delivery(
        message,
        Math.min(message.qos(), o.qos()),
        o.retainAsPublished() && message.retain(),
        o.subscriptionId() == 0 ? NO_IDS : new int[] {o.subscriptionId()},
        group);
  }

  void add(SubscriptionOptions o) {
    qos = Math.max(qos, Math.min(message.qos(), o.qos()));
    retain |= o.retainAsPublished() && message.retain();
    if (o.subscriptionId() != 0) {
      ids = Arrays.copyOf(ids, ids.length + 1);
      ids[ids.length - 1] = o.subscriptionId();
    }
  }

  Delivery toDelivery() {
    return new Delivery(message, qos, retain, ids);
  }
}

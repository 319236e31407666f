package io.simqtt.core.session;

import io.simqtt.core.routing.DeliveryReceipt;

/**
 * Gives a shared-subscription delivery another member of its group when the session that had it
 * lets it go (the router lives above sessions, so a session reaches it through this).
 */
@FunctionalInterface
public interface SharedRedelivery {
  /**
   * {@code leavingClientId} let {@code d} go. The new holder's delivery task (or, for a member on
   * another node, the forward's journal write) counts on {@code receipt} when not null: the
   * leaving session drops its own entry, or a publisher answers, only once that completes.
   */
  void redeliver(Delivery d, String leavingClientId, DeliveryReceipt receipt);
}

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
   * {@code hops}: how often {@code d} was redirected between nodes before the leaving session let
   * it go (0: routed to it, or from its queue); a member that passes it on to another node counts
   * on from there, so that redirects and hand-ons between sessions that moved cannot loop.
   */
  void redeliver(Delivery d, String leavingClientId, int hops, DeliveryReceipt receipt);
}

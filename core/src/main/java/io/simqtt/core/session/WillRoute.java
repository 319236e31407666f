package io.simqtt.core.session;

import io.simqtt.core.message.Message;
import io.simqtt.core.routing.DeliveryReceipt;

/** Routes a will like any publish: the router lives above sessions. */
@FunctionalInterface
public interface WillRoute {
  /**
   * Routes {@code will}, each target counted on {@code receipt} (null: nothing is counted), and
   * then ends the count ({@link DeliveryReceipt#routed}), at once or later (see {@link
   * StartupWills}).
   */
  void route(Message will, DeliveryReceipt receipt);
}

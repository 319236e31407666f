/**
 * The path of an accepted message: retained update, one match against the topic tree, one
 * delivery per subscribing session (overlapping subscriptions folded), one member per shared
 * group, and the hand-off to the cluster. A {@code DeliveryReceipt} tells the publisher when
 * every local session it went to has taken the message (durable mode).
 */
package io.simqtt.core.routing;

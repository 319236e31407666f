/**
 * The path of an accepted message: retained update, one match against the topic tree, one
 * delivery per subscribing session (overlapping subscriptions folded), one member per shared
 * group, and the hand-off to the cluster.
 */
package io.simqtt.core.routing;

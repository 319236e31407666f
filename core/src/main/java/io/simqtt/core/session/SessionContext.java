package io.simqtt.core.session;

import io.simqtt.config.SessionSettings;
import io.simqtt.core.cluster.Cluster;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.topic.SubscriptionTree;

/**
 * The node's services a session works with, and the settings it follows. One per node, shared by
 * all its sessions (one field each): a session and its pieces reach nothing beyond this, so each
 * piece can be built and tested with only what it uses.
 *
 * @param settings {@code mqtt.sessions}: queue bound and overflow, in-flight cap
 * @param subscriptions the node's topic tree, which a session's subscriptions are entered in
 * @param cluster told of subscriptions to advertise, and of messages to redirect after a move
 * @param metrics message totals and drops by reason
 * @param clock wall-clock time and the timers that re-enter a session
 * @param wills publishes a session's will (in durable mode, kept in the store until its copies
 *     are durable)
 * @param sharedRedelivery gives a shared-subscription delivery another member of its group when
 *     the session that had it lets it go
 * @param redirectMillis how long a session that moved to another node redirects what still
 *     reaches it here
 * @param lateRedirectMillis how long after a move a redirect (on a running node or brought back
 *     at recovery) may still redirect while a peer is away, and a window for second copies
 *     stays open while one is (see {@link SeenMessages})
 * @param registry where the session is listed: an ended session leaves it, a moved one is no
 *     longer counted as held
 * @param store where stored sessions (Session Expiry Interval above 0) write their changes;
 *     {@link SessionStore#MEMORY} keeps nothing
 */
record SessionContext(
    SessionSettings settings,
    SubscriptionTree subscriptions,
    Cluster cluster,
    BrokerMetrics metrics,
    SessionClock clock,
    WillPublisher wills,
    SharedRedelivery sharedRedelivery,
    long redirectMillis,
    long lateRedirectMillis,
    SessionRegistry registry,
    SessionStore store) {}

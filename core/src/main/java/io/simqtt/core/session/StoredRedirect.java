package io.simqtt.core.session;

import io.simqtt.core.topic.SubscriptionOptions;
import java.util.Map;

/**
 * What a {@link SessionStore} keeps of a stored session that moved to another node, in its place:
 * enough for the redirect it left behind to come back after a restart and pass on what peers
 * still send here for it.
 *
 * @param clientId the client id
 * @param newOwner the node the session moved to
 * @param subscriptions the session's filters and options as it moved: a peer's forward sent here
 *     by route before the move matches them, and is redirected
 * @param movedAtMillis when it moved, on the node's clock
 * @param lineage the lineage of the session that moved ({@link Session#lineage}), which what the
 *     redirect passes on names and what it takes must be of; 0 when unknown or left by a yield
 */
public record StoredRedirect(
    String clientId,
    String newOwner,
    Map<String, SubscriptionOptions> subscriptions,
    long movedAtMillis,
    long lineage) {}

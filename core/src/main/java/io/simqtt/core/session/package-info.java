/**
 * Sessions: the state MQTT keeps per client id (subscriptions, queued and in-flight messages,
 * packet identifiers, will, expiry) and the registry that maps client ids to them.
 *
 * <p>Each session's state is confined to its {@link io.simqtt.core.session.SerialExecutor} (the
 * class {@code Session} extends): every method that touches it runs as a task of that executor,
 * on the event loop of the session's current connection, so the hot path takes no locks.
 */
package io.simqtt.core.session;

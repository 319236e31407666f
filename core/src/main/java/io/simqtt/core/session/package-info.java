/**
 * Sessions: the state MQTT keeps per client id (subscriptions, queued and in-flight messages,
 * packet identifiers, will, expiry) and the registry that maps client ids to them.
 *
 * <p>Each session's state is confined to its {@link io.simqtt.core.session.SerialExecutor} (the
 * class {@code Session} extends): every method that touches it runs as a task of that executor,
 * on the event loop of the session's current connection, so the hot path takes no locks.
 *
 * <p>A session moving between nodes: {@code HandOver} is the holder's frozen session until the
 * new owner confirms, {@code Migration} what a session keeps only while it moves, has moved (it
 * redirects) or has just arrived ({@code SeenMessages}, to drop second copies by {@code
 * MessageKey}).
 */
package io.simqtt.core.session;

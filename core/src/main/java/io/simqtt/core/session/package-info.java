/**
 * Sessions: the state MQTT keeps per client id and the registry that maps client ids to them.
 *
 * <p>A {@code Session} binds connections (takeover, resume, detach), takes deliveries and
 * acknowledgements, and holds one piece per remaining part of its state: {@code Subscriptions}
 * (filters, the topic tree, the routes the cluster is told), {@code OutboundFlow} (the in-flight
 * window, the bounded queue, resends, packet ids, the acknowledgements) and {@code InboundQos2}
 * (ids awaiting PUBREL). Each piece gives its part of {@code SessionSnapshot}, the one state type
 * a session is moved as, and restores from it. The pieces use the node only through {@code
 * SessionContext}, so each is tested without sockets. Its other jobs work on the session's fields
 * from classes that keep no state of their own (an idle session costs nothing more for them):
 * {@code SessionMove} (its side of a move between nodes), {@code SessionTimers} (its will and
 * expiry while offline), {@code SessionEnd} (its end, after its shared deliveries on disk are
 * read off the event loop when it has no connection), {@code SessionPersistence} (what a stored
 * session writes, deletes and passes on) and {@code SharedRelease} (shared deliveries handed to
 * other members).
 *
 * <p>Each session's state is confined to its {@link io.simqtt.core.session.SerialExecutor} (the
 * class {@code Session} extends): every method that touches it or its pieces runs as a task of
 * that executor, on the event loop of the session's current connection, so the hot path takes no
 * locks.
 *
 * <p>A session moving between nodes ({@code SessionMove}): {@code HandOver} is the holder's
 * frozen session until the new owner confirms, {@code Migration} what a session keeps only while
 * it moves, has moved (it redirects) or has just arrived ({@code SeenMessages}, to drop second
 * copies by {@code MessageKey}: a message and the shared subscription it came for, or none).
 *
 * <p>Durable mode: {@code SessionStore} is the contract with a store that keeps sessions beyond
 * the heap ({@code SessionStore.MEMORY}, the default, keeps nothing). A stored session (Session
 * Expiry Interval above 0) writes its own part as {@code StoredSession}, and its {@code
 * SessionJournal} writes each message it holds as a numbered entry ({@code StoredMessage});
 * its queue beyond a heap window is only on disk ({@code QueueBacklog}, read back in pages);
 * {@code SessionRecovery} rebuilds the sessions from the store before the listeners open, each
 * queue up to that window ({@code StoredBacklog} for the rest), and {@code PermissionRetries}
 * asks again, in the background, for the permissions of those whose authorizer failed then.
 *
 * <p>Wills: a session's will timer is its own; a will that is due goes out through the node's
 * {@code WillPublisher}, which keeps a stored session's will in the store ({@code DueWill}) until
 * its copies are durable (and, while its client's permissions are unknown, until they are known
 * and it is checked), and through {@code StartupWills}, which holds wills until the cluster is
 * up.
 */
package io.simqtt.core.session;

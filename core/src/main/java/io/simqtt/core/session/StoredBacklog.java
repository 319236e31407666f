package io.simqtt.core.session;

/**
 * The queued entries of a stored session that a {@link SessionStore} left on disk at load,
 * beyond the window read onto the heap.
 *
 * @param clientId the session's client id
 * @param count how many entries
 * @param bytes their {@link Delivery#queuedBytes}, summed
 * @param shared how many of them are shared-subscription deliveries
 * @param afterSeq every one of them has a seq above this (a page read starts after it)
 * @param lastSeq the highest seq among them
 */
public record StoredBacklog(
    String clientId, long count, long bytes, long shared, long afterSeq, long lastSeq) {}

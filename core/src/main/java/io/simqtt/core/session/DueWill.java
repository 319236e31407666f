package io.simqtt.core.session;

import io.simqtt.core.auth.ClientIdentity;
import io.simqtt.core.message.Message;

/**
 * A stored session's will that went out and is kept in the {@link SessionStore} until every copy
 * of it is durable ({@link SessionStore#addWill}); after a crash it is published again.
 *
 * @param clientId the client whose will it is
 * @param willId the store's number for it, unique among the wills it keeps
 * @param message the will as published (its expiry stamped when it first went out)
 * @param uncheckedFor null when the will was checked against its client's permissions before it
 *     was kept; else its client, whose permissions were unknown then: it is checked once they
 *     are known (see {@link WillPublisher})
 */
public record DueWill(String clientId, long willId, Message message, ClientIdentity uncheckedFor) {}

package io.simqtt.core.session;

import io.simqtt.core.auth.ClientIdentity;
import io.simqtt.core.topic.SubscriptionOptions;
import java.util.Map;
import java.util.Set;

/**
 * A persistent session's own part as a {@link SessionStore} keeps it; its messages are {@link
 * StoredMessage}s.
 *
 * @param clientId the client id
 * @param subscriptions filter to options (subscription identifiers included)
 * @param expiryInterval Session Expiry Interval in seconds
 * @param will the will of the last connection, or null
 * @param offlineSinceMillis wall-clock time the last connection ended, or 0 while one is attached
 *     (a restart counts expiry and the will delay from this)
 * @param lastPacketId the packet id last given out
 * @param inboundQos2 inbound QoS 2 packet ids awaiting PUBREL (filled in by {@link
 *     SessionStore#load}, written by {@link SessionStore#writeSession}; ignored by {@link
 *     SessionStore#saveSession}, which keeps them apart)
 * @param identity who the client was at its last CONNECT, for its authorizers: after a restart
 *     its permissions are resolved from it with the rules then in force; null while no
 *     authorizer is configured, and in a store written before it was kept
 * @param lineage which of its client's sessions this is ({@link Session#lineage}); 0 in a store
 *     written before it was kept
 */
public record StoredSession(
    String clientId,
    Map<String, SubscriptionOptions> subscriptions,
    long expiryInterval,
    Will will,
    long offlineSinceMillis,
    int lastPacketId,
    Set<Integer> inboundQos2,
    ClientIdentity identity,
    long lineage) {
  /** A session kept without a client identity (no authorizer was configured). */
  public StoredSession(
      String clientId,
      Map<String, SubscriptionOptions> subscriptions,
      long expiryInterval,
      Will will,
      long offlineSinceMillis,
      int lastPacketId,
      Set<Integer> inboundQos2) {
    this(clientId, subscriptions, expiryInterval, will, offlineSinceMillis, lastPacketId,
        inboundQos2, null, 0);
  }
}

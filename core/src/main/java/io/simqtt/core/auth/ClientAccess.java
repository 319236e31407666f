package io.simqtt.core.auth;

/**
 * What one {@link Authorizer} lets one connected client do. Asked on the event loops for every
 * publish, subscription and delivery of the client, so it must answer from memory, quickly,
 * without blocking, and be safe to call from several threads at once.
 */
@FunctionalInterface
public interface ClientAccess {

  /**
   * @param topic the topic of a publish or delivery, or the filter of a subscription
   * @param qos the QoS of the publish or subscription; the delivery QoS for {@link
   *     Action#RECEIVE}
   * @param retain whether the publish is retained (false for the other actions)
   */
  Access check(Action action, String topic, int qos, boolean retain);
}

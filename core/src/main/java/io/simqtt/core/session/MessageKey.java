package io.simqtt.core.session;

import io.simqtt.core.message.Message;

/**
 * A message's cluster-wide identity: the node that accepted it and that node's clock stamp.
 *
 * @param origin the accepting node
 * @param stamp the accepting node's hybrid clock value, never repeated there
 */
public record MessageKey(String origin, long stamp) {
  static MessageKey of(Message m) {
    return new MessageKey(m.origin(), m.stamp());
  }
}

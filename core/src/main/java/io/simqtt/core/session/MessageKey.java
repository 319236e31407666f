package io.simqtt.core.session;

/**
 * One copy a session is owed of a message: the message's cluster-wide identity (the node that
 * accepted it and that node's clock stamp) and the shared subscription it came for, or none. A
 * client with a shared and a non-shared subscription matching a message gets one copy for each
 * (MQTT 5 4.8.2), and one per shared subscription; its non-shared subscriptions share one copy
 * (the router folds them), so a second copy is one with the same key.
 *
 * @param origin the accepting node
 * @param stamp the accepting node's hybrid clock value, never repeated there
 * @param sharedGroup the shared subscription ("$share/g/f") the copy is for, or null: non-shared
 */
public record MessageKey(String origin, long stamp, String sharedGroup) {
  /** The key of {@code d}'s copy (its group string is d's own: nothing is copied). */
  static MessageKey of(Delivery d) {
    return new MessageKey(d.message().origin(), d.message().stamp(), d.sharedGroup());
  }
}

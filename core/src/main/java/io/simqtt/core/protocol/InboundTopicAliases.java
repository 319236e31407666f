package io.simqtt.core.protocol;

/** Topic aliases a client has set on this connection (MQTT 5, 3.3.2.3.4). */
final class InboundTopicAliases {
  private final String[] topics;

  InboundTopicAliases(int maximum) {
    this.topics = new String[maximum + 1];
  }

  boolean isValid(int alias) {
    return alias > 0 && alias < topics.length;
  }

  void set(int alias, String topic) {
    topics[alias] = topic;
  }

  /** The topic for an alias, or null when the client never set it. */
  String get(int alias) {
    return topics[alias];
  }
}

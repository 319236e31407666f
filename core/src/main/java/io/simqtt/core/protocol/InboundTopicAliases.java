package io.simqtt.core.protocol;

/** Topic aliases a client has set on this connection (MQTT 5, 3.3.2.3.4). */
final class InboundTopicAliases {
  private final int maximum;
  /** Allocated on the first alias: most clients never use one. */
  private String[] topics;

  InboundTopicAliases(int maximum) {
    this.maximum = maximum;
  }

  boolean isValid(int alias) {
    return alias > 0 && alias <= maximum;
  }

  void set(int alias, String topic) {
    if (topics == null) {
      topics = new String[maximum + 1];
    }
    topics[alias] = topic;
  }

  /** The topic for an alias, or null when the client never set it. */
  String get(int alias) {
    return topics == null ? null : topics[alias];
  }
}

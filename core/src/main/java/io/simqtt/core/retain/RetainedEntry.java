package io.simqtt.core.retain;

import io.simqtt.core.cluster.RetainedStamp;
import io.simqtt.core.message.Message;

/**
 * The retained state of one topic: a message, or a clear (message null) remembered so that an
 * older write arriving late from another node cannot bring the message back.
 */
public record RetainedEntry(String topic, Message message, RetainedStamp stamp) {
  public boolean isClear() {
    return message == null;
  }
}

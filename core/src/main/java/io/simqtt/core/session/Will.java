package io.simqtt.core.session;

import io.simqtt.core.message.Message;

/**
 * A will message as CONNECT gave it.
 *
 * @param message the message to publish; its expiry is stamped when it goes out
 * @param delaySeconds Will Delay Interval
 * @param expirySeconds Message Expiry Interval, or 0 for none
 */
public record Will(Message message, long delaySeconds, long expirySeconds) {

  /** The message as published now, its expiry counted from this moment. */
  Message publishedAt(long nowMillis) {
    if (expirySeconds == 0) {
      return message;
    }
    Message m = message;
    return new Message(
        m.topic(), m.payload(), m.qos(), m.retain(), m.properties(),
        nowMillis + expirySeconds * 1000, m.publisherId());
  }
}

package io.simqtt.core.retain;

import io.simqtt.core.message.Message;
import java.util.List;

/** Where retained messages live; memory now, a disk store later. Implementations are thread-safe. */
public interface RetainedStore {
  /**
   * Sets the retained message for message.topic() (replacing any). Deciding that an empty payload
   * means "clear" is the broker's job: it calls {@link #remove}.
   */
  void put(Message message);

  /** Clears the retained message of a topic; false if there was none. */
  boolean remove(String topic);

  /** The retained message of a topic, or null (expired ones included). */
  Message get(String topic);

  /**
   * Retained messages whose topic matches filter (a plain filter, not $share), skipping and
   * dropping expired ones (Message.isExpired(now)). $-rule applies.
   */
  List<Message> match(String filter, long nowMillis);

  int size();
}

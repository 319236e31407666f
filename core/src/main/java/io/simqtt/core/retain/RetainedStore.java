package io.simqtt.core.retain;

import io.simqtt.core.cluster.RetainedStamp;
import io.simqtt.core.message.Message;
import java.util.List;

/**
 * Where retained messages live; memory now, a disk store later. Implementations are thread-safe.
 * Writes are last-writer-wins by {@link RetainedStamp}, so nodes of a cluster that see the same
 * writes in any order end with the same state.
 */
public interface RetainedStore {
  /**
   * Sets ({@code message} non-null) or clears the retained message of {@code topic}, unless the
   * topic already holds a write with a newer stamp. Returns whether this write won.
   */
  boolean apply(String topic, Message message, RetainedStamp stamp);

  /** The retained message of a topic, or null (expired ones included). */
  Message get(String topic);

  /**
   * Retained messages whose topic matches filter (a plain filter, not $share), skipping and
   * dropping expired ones (Message.isExpired(now)). $-rule applies.
   */
  List<Message> match(String filter, long nowMillis);

  /** Every entry, recent clears included. */
  List<RetainedEntry> entries();

  /** Retained messages held (clears not counted). */
  int size();
}

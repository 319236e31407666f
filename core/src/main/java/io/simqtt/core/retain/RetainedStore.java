package io.simqtt.core.retain;

import io.simqtt.core.cluster.RetainedStamp;
import io.simqtt.core.message.Message;
import java.util.List;

/**
 * Where retained messages live; memory now, a disk store later. Implementations are thread-safe.
 * Writes are last-writer-wins by {@link RetainedStamp}, so nodes of a cluster that see the same
 * writes in any order end with the same state. A clear, and a message whose expiry deadline has
 * passed, leave a tombstone with the stamp of that write, remembered for a while so that an older
 * write arriving late cannot bring a message back.
 */
public interface RetainedStore {
  /**
   * Sets ({@code message} non-null) or clears the retained message of {@code topic}, unless the
   * topic already holds a write with a newer stamp. A message already expired is kept as the
   * tombstone of its stamp. Equal stamps are the same write: it can only turn from live to dead.
   * Returns whether this write changed the topic's entry.
   */
  boolean apply(String topic, Message message, RetainedStamp stamp);

  /** The retained message of a topic, or null (none, cleared or expired). */
  Message get(String topic);

  /**
   * Retained messages whose topic matches filter (a plain filter, not $share), skipping expired
   * ones (Message.isExpired(now)) and turning them into tombstones. $-rule applies.
   */
  List<Message> match(String filter, long nowMillis);

  /**
   * Every entry, tombstones included, for a peer to reconcile with: expired messages are given
   * as the tombstones of their stamps.
   */
  List<RetainedEntry> entries();

  /** Retained messages held (tombstones not counted; expired ones until they are swept). */
  int size();

  /** Tombstones held: clears and expiries still remembered. */
  int tombstoneCount();

  /**
   * Upkeep, run on a timer: messages whose deadline passed become tombstones, and tombstones
   * past their retention are forgotten.
   */
  void sweep();
}

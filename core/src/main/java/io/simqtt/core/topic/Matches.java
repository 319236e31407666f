package io.simqtt.core.topic;

import java.util.List;

/**
 * Everything matching one topic name. The tree's collector is its own result, so a match costs
 * one object besides what lists it needs.
 */
public interface Matches {
  /** Returned when nothing matches, so a miss allocates nothing. */
  Matches EMPTY = new Matches() {
    @Override
    public List<Entry> direct() {
      return List.of();
    }

    @Override
    public List<SharedGroup> shared() {
      return List.of();
    }
  };

  /**
   * One entry per (client, filter) non-shared subscription that matches: a client with
   * overlapping filters appears several times; the broker aggregates.
   */
  List<Entry> direct();

  /** One per matching (group, filter); a group may have lost its last member since. */
  List<SharedGroup> shared();

  default boolean isEmpty() {
    return direct().isEmpty() && shared().isEmpty();
  }

  /** One non-shared subscription; the same instance is handed out by every match. */
  record Entry(String clientId, String filter, SubscriptionOptions options) {}
}

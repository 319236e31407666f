package io.simqtt.core.topic;

import java.util.List;

/**
 * Everything matching one topic name.
 *
 * @param direct one entry per (client, filter) non-shared subscription that matches — a client
 *     with overlapping filters appears several times; the broker aggregates
 * @param shared one per matching (group, filter); a group may have lost its last member since
 */
public record Matches(List<Entry> direct, List<SharedGroup> shared) {
  /** Returned when nothing matches, so a miss allocates nothing. */
  public static final Matches EMPTY = new Matches(List.of(), List.of());

  /** One non-shared subscription; the same instance is handed out by every match. */
  public record Entry(String clientId, String filter, SubscriptionOptions options) {}

  public boolean isEmpty() {
    return direct.isEmpty() && shared.isEmpty();
  }
}

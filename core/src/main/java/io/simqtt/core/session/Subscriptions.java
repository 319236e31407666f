package io.simqtt.core.session;

import io.simqtt.core.topic.SubscriptionOptions;
import io.simqtt.core.topic.Topics;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * A session's subscriptions: filter to options, kept in step with the node's topic tree and with
 * what the cluster is told. Ordinary filters are advertised to the cluster while they exist;
 * shared ones only while the client is connected, so other nodes stop choosing this node for a
 * group the moment its member here goes away (MQTT 5, 4.8.2: another member takes over).
 *
 * <p>A session holds one only while it has a subscription (most have none or a few), starting
 * with shared filters advertised if the client is connected. Confined to its session's tasks.
 *
 * <p>The subscriptions of a redirect recovered after a restart ({@link #unadvertised}) are in the
 * tree only, to match what peers send again for it: advertising them would draw new messages to
 * this node, only to be redirected to the node that has the session and advertises them itself.
 */
final class Subscriptions {
  private final String clientId;
  private final SessionContext context;
  /** Sized for the common one or two filters; it grows like any HashMap. */
  private final Map<String, SubscriptionOptions> filters = new HashMap<>(2);
  /** Whether the shared filters are advertised to the cluster right now. */
  private boolean sharedAdvertised;
  /** Whether any filter is (see {@link #unadvertised}). */
  private final boolean advertised;

  Subscriptions(String clientId, SessionContext context, boolean sharedAdvertised) {
    this(clientId, context, sharedAdvertised, true);
  }

  private Subscriptions(
      String clientId, SessionContext context, boolean sharedAdvertised, boolean advertised) {
    this.clientId = clientId;
    this.context = context;
    this.sharedAdvertised = sharedAdvertised;
    this.advertised = advertised;
  }

  /** Subscriptions in the topic tree that are never advertised to the cluster. */
  static Subscriptions unadvertised(String clientId, SessionContext context) {
    return new Subscriptions(clientId, context, false, false);
  }

  /** Adds or replaces a subscription here and in the topic tree; returns the old options. */
  SubscriptionOptions add(String filter, SubscriptionOptions options) {
    filters.put(filter, options);
    SubscriptionOptions previous = context.subscriptions().subscribe(clientId, filter, options);
    if (previous == null && isAdvertised(filter)) {
      context.cluster().subscriptionAdded(filter);
    }
    return previous;
  }

  /** Removes a subscription; returns whether the topic tree had it. */
  boolean remove(String filter) {
    filters.remove(filter);
    return removeFromTree(filter);
  }

  /** Removes every subscription (the session ends or starts clean). */
  void removeAll() {
    filters.forEach((filter, options) -> removeFromTree(filter));
    filters.clear();
  }

  /** Removes the shared subscriptions: the session is no member of a shared group any more. */
  void removeShared() {
    filters.keySet().removeIf(filter -> {
      if (!filter.startsWith(Topics.SHARE_PREFIX)) {
        return false;
      }
      removeFromTree(filter);
      return true;
    });
  }

  boolean isEmpty() {
    return filters.isEmpty();
  }

  /** Starts or stops advertising the shared filters: the client connected or went away. */
  void advertiseShared(boolean on) {
    if (!advertised || sharedAdvertised == on) {
      return;
    }
    sharedAdvertised = on;
    filters.forEach((filter, options) -> {
      if (filter.startsWith(Topics.SHARE_PREFIX)) {
        if (on) {
          context.cluster().subscriptionAdded(filter);
        } else {
          context.cluster().subscriptionRemoved(filter);
        }
      }
    });
  }

  /** A read-only view. */
  Map<String, SubscriptionOptions> view() {
    return Collections.unmodifiableMap(filters);
  }

  /** These subscriptions' part of the session's state. */
  Map<String, SubscriptionOptions> snapshot() {
    return Map.copyOf(filters);
  }

  private boolean removeFromTree(String filter) {
    boolean removed = context.subscriptions().unsubscribe(clientId, filter);
    if (removed && isAdvertised(filter)) {
      context.cluster().subscriptionRemoved(filter);
    }
    return removed;
  }

  private boolean isAdvertised(String filter) {
    return advertised && (!filter.startsWith(Topics.SHARE_PREFIX) || sharedAdvertised);
  }
}

package io.simqtt.core.routing;

import io.simqtt.config.SessionSettings.SharedStrategy;
import io.simqtt.core.cluster.Cluster;
import io.simqtt.core.message.Message;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.retain.RetainedStore;
import io.simqtt.core.session.Delivery;
import io.simqtt.core.session.Session;
import io.simqtt.core.session.SessionRegistry;
import io.simqtt.core.topic.Matches;
import io.simqtt.core.topic.SharedGroup;
import io.simqtt.core.topic.SubscriptionOptions;
import io.simqtt.core.topic.SubscriptionTree;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/** Routes accepted messages to sessions on this node and to the cluster. Thread-safe. */
public final class MessageRouter {
  private final SubscriptionTree tree;
  private final RetainedStore retained;
  private final SessionRegistry sessions;
  private final Cluster cluster;
  private final BrokerMetrics metrics;
  private final SharedStrategy sharedStrategy;

  public MessageRouter(
      SubscriptionTree tree,
      RetainedStore retained,
      SessionRegistry sessions,
      Cluster cluster,
      BrokerMetrics metrics,
      SharedStrategy sharedStrategy) {
    this.tree = tree;
    this.retained = retained;
    this.sessions = sessions;
    this.cluster = cluster;
    this.metrics = metrics;
    this.sharedStrategy = sharedStrategy;
  }

  /**
   * Publishes a message accepted on this node: updates the retained store when RETAIN is set,
   * delivers locally and forwards to the cluster. Returns how many receivers (local sessions and
   * remote nodes) it went to.
   */
  public int publish(Message message) {
    if (message.retain()) {
      if (message.payload().length == 0) {
        retained.remove(message.topic());
      } else {
        retained.put(message);
      }
    }
    int receivers = deliverLocally(message) + cluster.forward(message);
    if (receivers == 0) {
      metrics.dropped(DropReason.NO_SUBSCRIBERS);
    }
    return receivers;
  }

  /** Delivers to the matching sessions of this node only; returns how many got it. */
  public int deliverLocally(Message message) {
    Matches matches = tree.match(message.topic());
    if (matches.isEmpty()) {
      return 0;
    }
    int count = deliverDirect(message, matches.direct());
    for (SharedGroup group : matches.shared()) {
      if (deliverShared(message, group)) {
        count++;
      }
    }
    return count;
  }

  private int deliverDirect(Message message, List<Matches.Entry> direct) {
    if (direct.size() == 1) {
      Matches.Entry e = direct.get(0);
      if (excludedByNoLocal(e.clientId(), e.options(), message)) {
        return 0;
      }
      return deliverTo(e.clientId(), DeliveryFold.single(message, e.options())) ? 1 : 0;
    }
    // One client with overlapping filters gets one copy at the highest QoS with every id.
    Map<String, DeliveryFold> byClient = new LinkedHashMap<>();
    for (Matches.Entry e : direct) {
      if (!excludedByNoLocal(e.clientId(), e.options(), message)) {
        byClient.computeIfAbsent(e.clientId(), id -> new DeliveryFold(message)).add(e.options());
      }
    }
    int count = 0;
    for (Map.Entry<String, DeliveryFold> e : byClient.entrySet()) {
      if (deliverTo(e.getKey(), e.getValue().toDelivery())) {
        count++;
      }
    }
    return count;
  }

  /** Exactly one member of the group gets the message; connected members are preferred. */
  private boolean deliverShared(Message message, SharedGroup group) {
    List<SharedGroup.Member> members = group.members();
    int n = members.size();
    if (n == 0) {
      return false;
    }
    int start =
        sharedStrategy == SharedStrategy.RANDOM
            ? ThreadLocalRandom.current().nextInt(n)
            : group.nextIndex(n);
    SharedGroup.Member chosen = null;
    Session chosenSession = null;
    for (int i = 0; i < n; i++) {
      SharedGroup.Member m = members.get((start + i) % n);
      Session s = sessions.get(m.clientId());
      if (s != null && s.isConnected()) {
        chosen = m;
        chosenSession = s;
        break;
      }
    }
    if (chosen == null) {
      chosen = members.get(start % n);
      chosenSession = sessions.get(chosen.clientId());
      if (chosenSession == null) {
        return false;
      }
    }
    Delivery d = DeliveryFold.single(message, chosen.options());
    Session target = chosenSession;
    target.execute(() -> target.deliver(d));
    return true;
  }

  private boolean deliverTo(String clientId, Delivery d) {
    Session s = sessions.get(clientId);
    if (s == null) {
      return false;
    }
    s.execute(() -> s.deliver(d));
    return true;
  }

  private static boolean excludedByNoLocal(
      String clientId, SubscriptionOptions options, Message message) {
    return options.noLocal() && clientId.equals(message.publisherId());
  }
}

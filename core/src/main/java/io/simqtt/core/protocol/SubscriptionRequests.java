package io.simqtt.core.protocol;

import io.simqtt.core.auth.Action;
import io.simqtt.core.auth.Permissions;
import io.simqtt.core.codec.MqttPacket.SubAck;
import io.simqtt.core.codec.MqttPacket.Subscribe;
import io.simqtt.core.codec.MqttPacket.Subscription;
import io.simqtt.core.codec.MqttPacket.UnsubAck;
import io.simqtt.core.codec.MqttPacket.Unsubscribe;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.message.Message;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.session.Delivery;
import io.simqtt.core.session.Session;
import io.simqtt.core.topic.SharedFilter;
import io.simqtt.core.topic.SubscriptionOptions;
import io.simqtt.core.topic.Topics;
import java.util.ArrayList;
import java.util.List;

/** SUBSCRIBE and UNSUBSCRIBE of one connection, run as tasks of its session. */
final class SubscriptionRequests {
  private static final int RETAIN_SEND = 0;
  private static final int RETAIN_SEND_IF_NEW = 1;

  private final ProtocolContext context;
  private final MqttConnection connection;

  SubscriptionRequests(ProtocolContext context, MqttConnection connection) {
    this.context = context;
    this.connection = connection;
  }

  void subscribe(Session session, Subscribe request) {
    var features = context.settings().features();
    List<Integer> subscriptionIds = request.properties().subscriptionIdentifiers;
    int subscriptionId = subscriptionIds.isEmpty() ? 0 : subscriptionIds.get(0);
    if (subscriptionId != 0 && !features.subscriptionIdentifiers()) {
      connection.close(
          ReasonCode.SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED,
          "subscription identifiers are not supported");
      return;
    }
    for (Subscription sub : request.subscriptions()) {
      if (sub.noLocal() && sub.filter().startsWith("$share/")) {
        connection.protocolError("No Local on a shared subscription");
        return;
      }
    }
    List<Integer> codes = new ArrayList<>(request.subscriptions().size());
    List<Delivery> retainedToSend = new ArrayList<>();
    for (Subscription sub : request.subscriptions()) {
      int code = subscribeOne(session, sub, subscriptionId, retainedToSend);
      codes.add(code);
    }
    connection.send(new SubAck(request.packetId(), codes, MqttProperties.NONE));
    for (Delivery d : retainedToSend) {
      session.deliver(d);
    }
  }

  private int subscribeOne(
      Session session, Subscription sub, int subscriptionId, List<Delivery> retainedToSend) {
    var features = context.settings().features();
    int maxLevels = context.settings().limits().maxTopicLevels();
    SharedFilter shared;
    try {
      shared = Topics.parseShared(sub.filter());
    } catch (IllegalArgumentException e) {
      return ReasonCode.TOPIC_FILTER_INVALID;
    }
    String filter = shared == null ? sub.filter() : shared.filter();
    if (!Topics.isValidFilter(filter, maxLevels)) {
      return ReasonCode.TOPIC_FILTER_INVALID;
    }
    if (shared != null && !features.sharedSubscriptions()) {
      return ReasonCode.SHARED_SUBSCRIPTIONS_NOT_SUPPORTED;
    }
    if (!features.wildcardSubscriptions() && Topics.hasWildcard(filter)) {
      return ReasonCode.WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED;
    }
    if (!session.subscriptions().containsKey(sub.filter())
        && session.subscriptions().size()
            >= context.settings().limits().maxSubscriptionsPerClient()) {
      return ReasonCode.QUOTA_EXCEEDED;
    }
    int granted = Math.min(sub.qos(), features.maxQos());
    Permissions permissions = connection.permissions();
    // A shared subscription is judged by its filter: $share/group/ is not part of any topic.
    if (!permissions.allows(Action.SUBSCRIBE, filter, granted, false)) {
      return ReasonCode.NOT_AUTHORIZED;
    }
    SubscriptionOptions options =
        new SubscriptionOptions(
            granted, sub.noLocal(), sub.retainAsPublished(), sub.retainHandling(), subscriptionId);
    SubscriptionOptions previous = session.subscribe(sub.filter(), options);
    boolean sendRetained =
        shared == null
            && features.retainAvailable()
            && (sub.retainHandling() == RETAIN_SEND
                || (sub.retainHandling() == RETAIN_SEND_IF_NEW && previous == null));
    if (sendRetained) {
      int[] ids = subscriptionId == 0 ? new int[0] : new int[] {subscriptionId};
      for (Message m : context.retained().match(filter, System.currentTimeMillis())) {
        int qos = Math.min(m.qos(), granted);
        if (permissions.mayReceive(m.topic(), qos)) {
          retainedToSend.add(Delivery.retainedOnSubscribe(m, qos, ids));
        } else {
          context.metrics().dropped(DropReason.NOT_AUTHORIZED);
        }
      }
    }
    return granted;
  }

  void unsubscribe(Session session, Unsubscribe request) {
    List<Integer> codes = new ArrayList<>(request.filters().size());
    for (String filter : request.filters()) {
      if (!isValid(filter)) {
        codes.add(ReasonCode.TOPIC_FILTER_INVALID);
      } else if (session.unsubscribe(filter)) {
        codes.add(ReasonCode.SUCCESS);
      } else {
        codes.add(ReasonCode.NO_SUBSCRIPTION_EXISTED);
      }
    }
    connection.send(new UnsubAck(request.packetId(), codes, MqttProperties.NONE));
  }

  /** A filter, plain or shared, that follows the topic filter rules. */
  private boolean isValid(String filter) {
    try {
      SharedFilter shared = Topics.parseShared(filter);
      String plain = shared == null ? filter : shared.filter();
      return Topics.isValidFilter(plain, context.settings().limits().maxTopicLevels());
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}

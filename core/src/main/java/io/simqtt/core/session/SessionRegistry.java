package io.simqtt.core.session;

import io.netty.util.concurrent.EventExecutor;
import io.simqtt.config.SessionSettings;
import io.simqtt.core.cluster.Cluster;
import io.simqtt.core.message.Message;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.topic.SubscriptionTree;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/** Client id to session, for this node. */
public final class SessionRegistry {
  private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
  private final SessionSettings settings;
  private final SubscriptionTree subscriptions;
  private final BrokerMetrics metrics;
  private final Consumer<Message> willPublisher;
  private final BiConsumer<Delivery, String> sharedRedelivery;
  private final Cluster cluster;

  /**
   * @param willPublisher routes a will message like any publish (the router lives above the
   *     registry, so it is passed in)
   * @param sharedRedelivery gives a shared-subscription delivery another member when the client
   *     that had it leaves (delivery, leaving client id)
   */
  public SessionRegistry(
      SessionSettings settings,
      SubscriptionTree subscriptions,
      BrokerMetrics metrics,
      Consumer<Message> willPublisher,
      BiConsumer<Delivery, String> sharedRedelivery,
      Cluster cluster) {
    this.sharedRedelivery = sharedRedelivery;
    this.settings = settings;
    this.cluster = cluster;
    this.subscriptions = subscriptions;
    this.metrics = metrics;
    this.willPublisher = willPublisher;
  }

  /**
   * The session for a client id, created (homed on {@code loop}) when there is none. The caller
   * must then run {@link Session#attach} as a task of it: until then the session is not removed.
   */
  public Session claim(String clientId, EventExecutor loop) {
    return sessions.compute(
        clientId,
        (id, existing) -> {
          Session s = existing != null ? existing : new Session(id, this, loop);
          s.pendingAttaches.incrementAndGet();
          return s;
        });
  }

  /** The session of a client id, or null. */
  public Session get(String clientId) {
    return sessions.get(clientId);
  }

  public int size() {
    return sessions.size();
  }

  public Collection<Session> all() {
    return sessions.values();
  }

  /** Drops an ended session unless a CONNECT is about to attach to it. */
  void remove(Session session) {
    sessions.computeIfPresent(
        session.clientId(),
        (id, current) -> current == session && session.pendingAttaches.get() == 0 ? null : current);
  }

  void redeliverShared(Delivery d, String leavingClientId) {
    sharedRedelivery.accept(d, leavingClientId);
  }

  void publishWill(Message will) {
    willPublisher.accept(will);
  }

  SessionSettings settings() {
    return settings;
  }

  Cluster cluster() {
    return cluster;
  }

  SubscriptionTree subscriptions() {
    return subscriptions;
  }

  public BrokerMetrics metrics() {
    return metrics;
  }

  boolean dropOldestOnOverflow() {
    return settings.queueOverflow() == SessionSettings.QueueOverflow.DROP_OLDEST;
  }
}

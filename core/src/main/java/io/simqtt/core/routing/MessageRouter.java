package io.simqtt.core.routing;

import io.simqtt.config.SessionSettings.SharedStrategy;
import io.simqtt.core.auth.Permissions;
import io.simqtt.core.cluster.Backpressure;
import io.simqtt.core.cluster.Cluster;
import io.simqtt.core.cluster.ForwardCopy;
import io.simqtt.core.cluster.HybridClock;
import io.simqtt.core.cluster.RetainedStamp;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/** Routes accepted messages to sessions on this node and to other nodes. Thread-safe. */
public final class MessageRouter {
  private final String nodeId;
  private final SubscriptionTree tree;
  private final RetainedStore retained;
  private final SessionRegistry sessions;
  private final Cluster cluster;
  private final HybridClock clock;
  private final BrokerMetrics metrics;
  private final SharedStrategy sharedStrategy;
  private final RemoteRoutes remoteRoutes;

  public MessageRouter(
      String nodeId,
      SubscriptionTree tree,
      RetainedStore retained,
      SessionRegistry sessions,
      Cluster cluster,
      HybridClock clock,
      BrokerMetrics metrics,
      SharedStrategy sharedStrategy) {
    this.nodeId = nodeId;
    this.tree = tree;
    this.retained = retained;
    this.sessions = sessions;
    this.cluster = cluster;
    this.clock = clock;
    this.metrics = metrics;
    this.sharedStrategy = sharedStrategy;
    this.remoteRoutes = new RemoteRoutes(tree);
  }

  /**
   * The identity for a message accepted here now (see {@link Message#stamp}): this node's hybrid
   * clock in a cluster, 0 on a single node, which never needs one.
   */
  public long newStamp() {
    return cluster == Cluster.SINGLE_NODE ? 0 : clock.now();
  }

  public String nodeId() {
    return nodeId;
  }

  /** Where the routes of other nodes are kept, in this router's tree. */
  public RemoteRoutes remoteRoutes() {
    return remoteRoutes;
  }

  /**
   * Publishes a message accepted on this node: updates the retained store when RETAIN is set,
   * delivers locally and forwards to other nodes. Returns how many receivers (local sessions and
   * remote nodes) it went to.
   */
  public int publish(Message message) {
    return publish(message, null);
  }

  /**
   * As {@link #publish(Message)}, slowing {@code pacer} (the publisher's connection, or null)
   * when the message fills a peer link beyond its budget.
   */
  public int publish(Message message, PublishPacer pacer) {
    return publish(message, pacer, null);
  }

  /**
   * As {@link #publish(Message, PublishPacer)}, counting each local session's delivery task on
   * {@code receipt} (null: none is counted), and in durable mode each QoS 1/2 forward to another
   * node until it is written to this node's forward journal (the other node's own durability is
   * not awaited: this node keeps the forward until that node has it durably).
   */
  public int publish(Message message, PublishPacer pacer, DeliveryReceipt receipt) {
    if (cluster != Cluster.SINGLE_NODE && !message.isIdentified()) {
      // Wills and the broker's own publishes; clients' messages are built identified.
      message = message.identified(nodeId, clock.now());
    }
    if (message.retain()) {
      setRetained(message.topic(), message.payload().length == 0 ? null : message);
    }
    int receivers = route(message, true, pacer, receipt);
    if (receivers == 0) {
      metrics.dropped(DropReason.NO_SUBSCRIBERS);
    }
    return receivers;
  }

  /**
   * Publishes a message about this node only ($SYS figures): retained here without telling other
   * nodes, delivered to local sessions (shared groups included), never forwarded.
   */
  public int publishLocal(Message message) {
    if (message.retain()) {
      Message kept = message.payload().length == 0 ? null : message;
      retained.apply(message.topic(), kept, new RetainedStamp(clock.now(), nodeId));
    }
    return route(message, false, null, null);
  }

  /** Sets ({@code message} non-null) or clears a retained message here and on every node. */
  public void setRetained(String topic, Message message) {
    RetainedStamp stamp = new RetainedStamp(clock.now(), nodeId);
    if (retained.apply(topic, message, stamp)) {
      cluster.retainedChanged(topic, message, stamp);
    }
  }

  /**
   * Delivers a message another node forwarded, to local sessions only: ordinary subscriptions
   * when {@code direct}, and one local member of each shared subscription in {@code shared}
   * ({@code hops}: how often those were redirected between nodes before a member let them go
   * here, see {@link ForwardCopy#hops}). Returns the shared subscriptions that have no member
   * here any more (the sender chose this node just as its last member left): the sender gives
   * those to another node.
   */
  public List<String> deliverForwarded(
      Message message, boolean direct, List<String> shared, int hops, DeliveryReceipt receipt) {
    Matches matches = tree.match(message.topic());
    if (direct) {
      deliverDirect(message, matches.direct(), null, receipt);
    }
    if (shared.isEmpty()) {
      return List.of();
    }
    List<String> unserved = new ArrayList<>(shared);
    for (SharedGroup group : matches.shared()) {
      if (unserved.contains(group.shareName())
          && chooseMember(message, group, null, null, hops, receipt)) {
        unserved.remove(group.shareName());
      }
    }
    return unserved;
  }

  /**
   * A node returned a message it was chosen for in {@code shared} but has no member of any more:
   * another member, on this node or a third one, gets it, counting on from the {@code hops} the
   * returned forward carried ({@link ForwardCopy#hops}).
   */
  public void returnShared(Message message, List<String> shared, int hops, String fromNodeId) {
    String excluded = RemoteRoutes.idOf(fromNodeId);
    for (SharedGroup group : tree.match(message.topic()).shared()) {
      if (shared.contains(group.shareName())) {
        Map<String, RemoteCopy> remote = new LinkedHashMap<>(0);
        if (chooseMember(message, group, remote, excluded, hops, null)) {
          forwardAll(message, remote, null, hops, null);
        } else {
          metrics.dropped(DropReason.NO_SUBSCRIBERS);
        }
      }
    }
  }

  /** Delivers a message accepted here; {@code toCluster} false keeps it on this node. */
  private int route(
      Message message, boolean toCluster, PublishPacer pacer, DeliveryReceipt receipt) {
    Matches matches = tree.match(message.topic());
    if (matches.isEmpty()) {
      return 0;
    }
    // Collecting copies for other nodes only when some node has routes: a single node
    // allocates nothing for the cluster on its per-message path.
    Map<String, RemoteCopy> remote =
        toCluster && !remoteRoutes.isEmpty() ? new LinkedHashMap<>(2) : null;
    int count = deliverDirect(message, matches.direct(), remote, receipt);
    for (SharedGroup group : matches.shared()) {
      if (chooseMember(message, group, remote, null, 0, receipt)) {
        count++;
      }
    }
    if (remote != null) {
      forwardAll(message, remote, pacer, 0, receipt);
      count += remote.size();
    }
    return count;
  }

  private void forwardAll(
      Message message,
      Map<String, RemoteCopy> remote,
      PublishPacer pacer,
      int hops,
      DeliveryReceipt receipt) {
    if (remote.isEmpty()) {
      return;
    }
    List<ForwardCopy> copies = new ArrayList<>(remote.size());
    remote.forEach(
        (node, copy) -> copies.add(new ForwardCopy(node, copy.direct, copy.shared, hops)));
    Backpressure pressure = cluster.forward(message, copies, receipt);
    if (pressure != null && pacer != null) {
      pacer.slowDown(pressure);
    }
  }

  /** Local subscribers get their deliveries; remote ones are collected into {@code remote}. */
  private int deliverDirect(
      Message message,
      List<Matches.Entry> direct,
      Map<String, RemoteCopy> remote,
      DeliveryReceipt receipt) {
    if (direct.size() == 1) {
      Matches.Entry e = direct.get(0);
      if (RemoteRoutes.isRemote(e.clientId())) {
        if (remote != null) {
          remoteCopy(remote, e.clientId()).direct = true;
        }
        return 0;
      }
      if (excludedByNoLocal(e.clientId(), e.options(), message)) {
        return 0;
      }
      return deliverTo(e.clientId(), DeliveryFold.single(message, e.options()), receipt) ? 1 : 0;
    }
    // One client with overlapping filters gets one copy at the highest QoS with every id.
    Map<String, DeliveryFold> byClient = new LinkedHashMap<>();
    for (Matches.Entry e : direct) {
      if (RemoteRoutes.isRemote(e.clientId())) {
        if (remote != null) {
          remoteCopy(remote, e.clientId()).direct = true;
        }
      } else if (!excludedByNoLocal(e.clientId(), e.options(), message)) {
        byClient.computeIfAbsent(e.clientId(), id -> new DeliveryFold(message)).add(e.options());
      }
    }
    int count = 0;
    for (Map.Entry<String, DeliveryFold> e : byClient.entrySet()) {
      if (deliverTo(e.getKey(), e.getValue().toDelivery(), receipt)) {
        count++;
      }
    }
    return count;
  }

  /**
   * A member of a shared subscription left {@code d} unfinished (still queued when its connection
   * ended, a QoS 1 one unacknowledged when its session ended, or chosen just as it ended): another
   * member gets it (see {@link #handOnShared}). With no other member it goes back to the same
   * session, to wait for it if that session lives on and is still a member of the group; else
   * (ended, or ending, or not a member: a session of the client that a clean start made, to
   * which a delivery for the one it replaced was redirected) it is dropped, counted.
   */
  public void redeliverShared(
      Delivery d, String leavingClientId, int hops, DeliveryReceipt receipt) {
    if (handOnShared(d, leavingClientId, hops, receipt)) {
      return;
    }
    Session leaving = sessions.get(leavingClientId);
    // One that is ending would hand it on again as it reads on: with no other member, never end.
    if (leaving != null && !leaving.isEnded() && !leaving.isEnding()
        && isMember(d, leavingClientId)) {
      // Its own copy back, not a second one: a window for second copies there must not drop it.
      leaving.execute(Session::takeBack, leaving, d);
      deliverTo(leaving, d, 0, 0, receipt);
    } else {
      metrics.dropped(DropReason.NO_SUBSCRIBERS);
    }
  }

  /** Whether {@code clientId} is a member of the shared subscription {@code d} was chosen for. */
  private boolean isMember(Delivery d, String clientId) {
    SharedGroup group = groupOf(d);
    if (group != null) {
      for (SharedGroup.Member m : group.members()) {
        if (m.clientId().equals(clientId)) {
          return true;
        }
      }
    }
    return false;
  }

  /** The shared subscription {@code d} was chosen for, as the tree has it now; null if gone. */
  private SharedGroup groupOf(Delivery d) {
    for (SharedGroup group : tree.match(d.message().topic()).shared()) {
      if (group.shareName().equals(d.sharedGroup())) {
        return group;
      }
    }
    return null;
  }

  /**
   * Gives shared delivery {@code d} to a member of its group other than {@code leavingClientId},
   * counted on {@code receipt} (null: none) like a routed delivery, so whoever waits on it (the
   * leaving session before it drops its own entry, a publisher before it answers) waits for the
   * new holder's entry or forward journal write. A local member that passes it on to another node
   * redirects it as the {@code hops + 1}st hop, so a chain of redirects and hand-ons between
   * sessions that moved ends at {@link Session}'s hop bound; a member on another node gets it as
   * a forward carrying {@code hops}, which that node gives to a member of its own, counting on
   * from there. Returns false when no other member is left.
   */
  private boolean handOnShared(
      Delivery d, String leavingClientId, int hops, DeliveryReceipt receipt) {
    SharedGroup group = groupOf(d);
    if (group == null) {
      return false;
    }
    Map<String, RemoteCopy> remote = new LinkedHashMap<>(0);
    if (!chooseMember(d.message(), group, remote, leavingClientId, hops, receipt)) {
      return false;
    }
    forwardAll(d.message(), remote, null, hops, receipt);
    return true;
  }

  /**
   * Exactly one member of the group gets the message: a connected local member or a reachable
   * remote node (its shared routes exist only while its member there is connected) first, an
   * offline local member otherwise, and a node that cannot be reached right now (its forward
   * waits for the link) only when nothing else is left. With {@code remote} null (a forwarded
   * message) only local members count; {@code excluded} is a member that must not be chosen;
   * {@code hops} as for {@link #deliverTo(Session, Delivery, int, long, DeliveryReceipt)}.
   */
  private boolean chooseMember(
      Message message,
      SharedGroup group,
      Map<String, RemoteCopy> remote,
      String excluded,
      int hops,
      DeliveryReceipt receipt) {
    List<SharedGroup.Member> members = group.members();
    int n = members.size();
    if (n == 0) {
      return false;
    }
    int start =
        sharedStrategy == SharedStrategy.RANDOM
            ? ThreadLocalRandom.current().nextInt(n)
            : group.nextIndex(n);
    SharedGroup.Member fallback = null;
    Session fallbackSession = null;
    SharedGroup.Member unreachable = null;
    for (int i = 0; i < n; i++) {
      SharedGroup.Member m = members.get((start + i) % n);
      if (m.clientId().equals(excluded)) {
        continue;
      }
      if (RemoteRoutes.isRemote(m.clientId())) {
        if (remote == null) {
          continue;
        }
        if (cluster.canReach(RemoteRoutes.nodeOf(m.clientId()))) {
          remoteCopy(remote, m.clientId()).shared.add(group.shareName());
          return true;
        }
        if (unreachable == null) {
          unreachable = m;
        }
        continue;
      }
      Session s = sessions.get(m.clientId());
      if (s != null && s.isConnected()) {
        return deliverTo(
            s, DeliveryFold.shared(message, m.options(), group.shareName()), hops, 0, receipt);
      }
      if (fallback == null && s != null) {
        fallback = m;
        fallbackSession = s;
      }
    }
    if (fallback != null) {
      return deliverTo(
          fallbackSession,
          DeliveryFold.shared(message, fallback.options(), group.shareName()),
          hops,
          0,
          receipt);
    }
    if (unreachable != null) {
      remoteCopy(remote, unreachable.clientId()).shared.add(group.shareName());
      return true;
    }
    return false;
  }

  /**
   * A delivery a peer redirected to session {@code clientId}, which moved here from there; counted
   * on {@code receipt} like a routed one. Checked here, like a routed one, against what this node
   * holds of the client's permissions: the node it comes from may have taken it unchecked (its
   * permissions were unknown there, see {@link Session#deliverUnchecked}), and what this node's
   * client may receive is this node's to say. Unless the session moved on from here too: then
   * this node only passes it on, and the node it is bound for judges it (see {@link #deliverTo}).
   * With the session gone from here (it ended: a clean start elsewhere, its expiry) a shared
   * delivery goes to another member of its group (MQTT 5 4.8.2; see {@link #handOnShared}),
   * dropped, counted, when none is left; any other is dropped, counted. So it is when the session
   * here is of another {@code lineage} than the one it is for, which the session sees (see
   * {@link Session#deliverRedirected}).
   */
  public void deliverRedirected(
      String clientId, Delivery d, int hops, long lineage, DeliveryReceipt receipt) {
    Session s = sessions.get(clientId);
    if (s != null) {
      deliverTo(s, d, hops, lineage, receipt);
    } else if (d.sharedGroup() == null) {
      metrics.dropped(DropReason.SESSION_GONE);
    } else if (!handOnShared(d, clientId, hops, receipt)) {
      metrics.dropped(DropReason.NO_SUBSCRIBERS);
    }
  }

  private boolean deliverTo(String clientId, Delivery d, DeliveryReceipt receipt) {
    Session s = sessions.get(clientId);
    return s != null && deliverTo(s, d, 0, 0, receipt);
  }

  /**
   * False, counted, when the subscriber may not receive the message's topic. With a receipt the
   * session counts down once it has taken the delivery, whatever became of it. A session whose
   * permissions are unknown (recovered while an authorizer failed) takes it unchecked: it checks
   * it once they are known, before anything goes to its client ({@link Session#deliverUnchecked}).
   * So does a session that passes deliveries on to another node ({@link Session#passesOn}: it
   * moved, or is frozen for a move): its permissions are its client's last connection here, and
   * the connection the delivery is bound for, on the node it passes it on to, may have other
   * rules (another user name, that node's ACL file); that node judges it.
   * {@code hops}: how often it was redirected between nodes already (0: routed here); {@code
   * lineage}: the session's it was redirected for (0: any).
   */
  private boolean deliverTo(
      Session s, Delivery d, int hops, long lineage, DeliveryReceipt receipt) {
    Permissions p = s.permissions();
    boolean known = p.isKnown();
    if (known && !p.mayReceive(d.message().topic(), d.qos())) {
      if (!s.passesOn()) {
        metrics.dropped(DropReason.NOT_AUTHORIZED);
        return false;
      }
      known = false; // the session sees whether it still passes it on, and checks it if not
    }
    if (receipt == null && hops == 0) {
      // The handler and its arguments: no task object.
      s.execute(known ? Session::deliver : Session::deliverUnchecked, s, d);
    } else {
      take(s, d, hops, lineage, receipt, known);
    }
    return true;
  }

  /**
   * Hands {@code d} to {@code s} as a task of it, counted on {@code receipt} (null: none);
   * {@code checked}: whether the session's permissions were known to the router.
   */
  private static void take(
      Session s,
      Delivery d,
      int hops,
      long lineage,
      DeliveryReceipt receipt,
      boolean checked) {
    if (receipt != null) {
      receipt.expect();
    }
    s.execute(() -> {
      boolean stored = false;
      try {
        if (checked) {
          s.deliverRedirected(d, hops, lineage, receipt);
        } else {
          s.deliverUnchecked(d, hops, lineage, receipt);
        }
        stored = s.isStored();
      } finally {
        if (receipt != null) {
          receipt.taken(stored);
        }
      }
    });
  }

  private static RemoteCopy remoteCopy(Map<String, RemoteCopy> remote, String subscriberId) {
    return remote.computeIfAbsent(RemoteRoutes.nodeOf(subscriberId), n -> new RemoteCopy());
  }

  private static boolean excludedByNoLocal(
      String clientId, SubscriptionOptions options, Message message) {
    return options.noLocal() && clientId.equals(message.publisherId());
  }

  /** What one remote node is sent for one message. */
  private static final class RemoteCopy {
    boolean direct;
    final List<String> shared = new ArrayList<>(1);
  }
}

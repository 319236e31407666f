package io.simqtt.peer.admin;

import io.grpc.stub.StreamObserver;
import io.simqtt.core.message.Message;
import io.simqtt.core.sys.SysTopics;
import io.simqtt.core.topic.Topics;
import io.simqtt.proto.admin.AdminServiceGrpc;
import io.simqtt.proto.admin.Client;
import io.simqtt.proto.admin.ClusterStatus;
import io.simqtt.proto.admin.DeleteRetainedRequest;
import io.simqtt.proto.admin.DeleteRetainedResponse;
import io.simqtt.proto.admin.GetClientRequest;
import io.simqtt.proto.admin.GetClientResponse;
import io.simqtt.proto.admin.GetMetricsRequest;
import io.simqtt.proto.admin.GetRetainedRequest;
import io.simqtt.proto.admin.GetStatusRequest;
import io.simqtt.proto.admin.KickClientRequest;
import io.simqtt.proto.admin.KickClientResponse;
import io.simqtt.proto.admin.ListClientsRequest;
import io.simqtt.proto.admin.ListClientsResponse;
import io.simqtt.proto.admin.ListRetainedRequest;
import io.simqtt.proto.admin.ListRetainedResponse;
import io.simqtt.proto.admin.ListSubscriptionsRequest;
import io.simqtt.proto.admin.ListSubscriptionsResponse;
import io.simqtt.proto.admin.MetricsResponse;
import io.simqtt.proto.admin.PublishRequest;
import io.simqtt.proto.admin.PublishResponse;
import io.simqtt.proto.admin.ReloadRequest;
import io.simqtt.proto.admin.ReloadResponse;
import io.simqtt.proto.admin.RetainedMessage;
import io.simqtt.proto.admin.Subscription;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The client-facing AdminService: validates, gathers this node's and its peers' parts and merges
 * them. Retained messages live on every node, so those calls are answered here alone.
 */
final class AdminEndpoint extends AdminServiceGrpc.AdminServiceImplBase {
  private final LocalAdmin local;
  private final Gather gather;
  private final int maxTopicLevels;

  AdminEndpoint(LocalAdmin local, Gather gather) {
    this.local = local;
    this.gather = gather;
    this.maxTopicLevels = local.broker().settings().mqtt().limits().maxTopicLevels();
  }

  @Override
  public void getStatus(GetStatusRequest r, StreamObserver<ClusterStatus> out) {
    Replies.reply(out, () -> gather
        .all(CompletableFuture.completedFuture(local.status()), s -> s.getNodeStatus(r))
        .thenApply(a -> ClusterStatus.newBuilder()
            .addAllNodes(a.answers())
            .addAllMissingNodes(a.missing())
            .build()));
  }

  @Override
  public void listClients(ListClientsRequest r, StreamObserver<ListClientsResponse> out) {
    Replies.reply(out, () -> {
      int pageSize = Limits.pageSize(r.getPageSize());
      PageToken.parse(r.getPageToken()); // refuse a bad token before asking anyone
      String node = r.getNodeId();
      if (!node.isEmpty() && !gather.knows(node)) {
        throw Replies.invalid("node_id '" + node + "' is not a member of this cluster");
      }
      return gather
          .nodes(id -> node.isEmpty() || node.equals(id),
              () -> local.listClients(r, pageSize), s -> s.listClients(r))
          .thenApply(a -> mergeClients(a, pageSize));
    });
  }

  /** Each node sent its first pageSize after the token; the merged first pageSize is exact. */
  private static ListClientsResponse mergeClients(
      Gather.Answers<ListClientsResponse> a, int pageSize) {
    List<Client> all = new ArrayList<>();
    boolean more = false;
    for (ListClientsResponse page : a.answers()) {
      all.addAll(page.getClientsList());
      more |= !page.getNextPageToken().isEmpty();
    }
    all.sort(Comparator.comparing(Client::getClientId).thenComparing(Client::getNodeId));
    more |= all.size() > pageSize;
    List<Client> page = all.subList(0, Math.min(pageSize, all.size()));
    ListClientsResponse.Builder b = ListClientsResponse.newBuilder()
        .addAllClients(page)
        .addAllMissingNodes(a.missing());
    if (more && !page.isEmpty()) {
      Client last = page.get(page.size() - 1);
      b.setNextPageToken(new PageToken(last.getClientId(), last.getNodeId()).encode());
    }
    return b.build();
  }

  @Override
  public void getClient(GetClientRequest r, StreamObserver<GetClientResponse> out) {
    Replies.reply(out, () -> {
      String id = requireClientId(r.getClientId());
      return gather.all(local.getClient(id), s -> s.getClient(r)).thenApply(a -> {
        for (GetClientResponse c : a.answers()) {
          if (c.getFound()) {
            return c.toBuilder().addAllMissingNodes(a.missing()).build();
          }
        }
        throw Replies.notFound("no client '" + id + "'" + unanswered(a.missing()));
      });
    });
  }

  @Override
  public void kickClient(KickClientRequest r, StreamObserver<KickClientResponse> out) {
    Replies.reply(out, () -> {
      String id = requireClientId(r.getClientId());
      return gather.all(local.kick(r), s -> s.kickClient(r)).thenApply(a -> {
        for (KickClientResponse k : a.answers()) {
          if (k.getFound()) {
            return k.toBuilder().addAllMissingNodes(a.missing()).build();
          }
        }
        throw Replies.notFound("no client '" + id + "'" + unanswered(a.missing()));
      });
    });
  }

  @Override
  public void listSubscriptions(
      ListSubscriptionsRequest r, StreamObserver<ListSubscriptionsResponse> out) {
    Replies.reply(out, () -> {
      int limit = Limits.subscriptionLimit(r.getLimit());
      switch (r.getSelectorCase()) {
        case CLIENT_ID -> requireClientId(r.getClientId());
        case FILTER -> requireFilter(r.getFilter());
        case TOPIC -> requireTopic(r.getTopic(), "topic");
        default -> throw Replies.invalid("give one of client_id, filter or topic");
      }
      return gather.all(local.subscriptions(r, limit), s -> s.listSubscriptions(r))
          .thenApply(a -> {
            List<Subscription> all = new ArrayList<>();
            boolean truncated = false;
            for (ListSubscriptionsResponse part : a.answers()) {
              all.addAll(part.getSubscriptionsList());
              truncated |= part.getTruncated();
            }
            all.sort(Gather.SUBSCRIPTION_ORDER);
            truncated |= all.size() > limit;
            return ListSubscriptionsResponse.newBuilder()
                .addAllSubscriptions(all.subList(0, Math.min(limit, all.size())))
                .setTruncated(truncated)
                .addAllMissingNodes(a.missing())
                .build();
          });
    });
  }

  @Override
  public void listRetained(ListRetainedRequest r, StreamObserver<ListRetainedResponse> out) {
    Replies.reply(out, () -> {
      String filter = r.getFilter().isEmpty() ? "#" : r.getFilter();
      requireFilter(filter);
      if (filter.startsWith(Topics.SHARE_PREFIX)) {
        throw Replies.invalid("filter '" + filter + "': retained messages have no $share");
      }
      int pageSize = Limits.pageSize(r.getPageSize());
      List<Message> found = new ArrayList<>(
          local.broker().retained().match(filter, System.currentTimeMillis()));
      found.sort(Comparator.comparing(Message::topic));
      String after = r.getPageToken();
      List<Message> rest = found.stream().filter(m -> m.topic().compareTo(after) > 0).toList();
      List<Message> page = rest.subList(0, Math.min(pageSize, rest.size()));
      ListRetainedResponse.Builder b = ListRetainedResponse.newBuilder();
      page.forEach(m -> b.addMessages(AdminMessages.toProto(m)));
      if (rest.size() > pageSize) {
        b.setNextPageToken(page.get(page.size() - 1).topic());
      }
      return CompletableFuture.completedFuture(b.build());
    });
  }

  @Override
  public void getRetained(GetRetainedRequest r, StreamObserver<RetainedMessage> out) {
    Replies.reply(out, () -> CompletableFuture.completedFuture(
        AdminMessages.toProto(retained(r.getTopic()))));
  }

  @Override
  public void deleteRetained(
      DeleteRetainedRequest r, StreamObserver<DeleteRetainedResponse> out) {
    Replies.reply(out, () -> {
      String topic = r.getTopic();
      if (SysTopics.isSys(topic)) {
        throw Replies.invalid("topic '" + topic + "': $SYS/ topics belong to the broker");
      }
      retained(topic);
      // Through the router, so the clear is stamped and reaches every node.
      local.broker().router().setRetained(topic, null);
      return CompletableFuture.completedFuture(DeleteRetainedResponse.getDefaultInstance());
    });
  }

  private Message retained(String topic) {
    requireTopic(topic, "topic");
    Message m = local.broker().retained().get(topic);
    if (m == null || m.isExpired(System.currentTimeMillis())) {
      throw Replies.notFound("no retained message on topic '" + topic + "'");
    }
    return m;
  }

  @Override
  public void publish(PublishRequest r, StreamObserver<PublishResponse> out) {
    Replies.reply(out, () -> {
      requireTopic(r.getTopic(), "topic");
      if (SysTopics.isSys(r.getTopic())) {
        throw Replies.invalid("topic '" + r.getTopic() + "': $SYS/ topics belong to the broker");
      }
      int maxQos = local.broker().settings().mqtt().features().maxQos();
      if (r.getQos() > maxQos) {
        throw Replies.invalid("qos " + r.getQos() + " is not 0.." + maxQos);
      }
      if (r.getRetain() && !local.broker().settings().mqtt().features().retainAvailable()) {
        throw Replies.invalid("retain: this node does not keep retained messages");
      }
      Message m = AdminMessages.fromRequest(r);
      int receivers = local.broker().router().publish(m);
      return CompletableFuture.completedFuture(
          PublishResponse.newBuilder().setReceivers(receivers).build());
    });
  }

  @Override
  public void getMetrics(GetMetricsRequest r, StreamObserver<MetricsResponse> out) {
    Replies.reply(out, () -> gather.all(local.metrics(), s -> s.getNodeMetrics(r))
        .thenApply(a -> MetricsResponse.newBuilder()
            .addAllNodes(a.answers())
            .setTotal(AdminMessages.sum(a.answers()))
            .addAllMissingNodes(a.missing())
            .build()));
  }

  @Override
  public void reload(ReloadRequest r, StreamObserver<ReloadResponse> out) {
    Replies.reply(out, () -> gather
        .all(local.reload("admin API"), s -> s.reloadNode(r), Gather.RELOAD_DEADLINE_MILLIS)
        .thenApply(a -> ReloadResponse.newBuilder()
            .addAllNodes(a.answers())
            .addAllMissingNodes(a.missing())
            .build()));
  }

  private static String requireClientId(String id) {
    if (id.isEmpty()) {
      throw Replies.invalid("client_id is empty");
    }
    return id;
  }

  private void requireFilter(String filter) {
    if (!Topics.isValidFilter(filter, maxTopicLevels)) {
      throw Replies.invalid("filter '" + filter + "' is not a valid MQTT topic filter");
    }
  }

  private void requireTopic(String topic, String field) {
    if (!Topics.isValidTopicName(topic, maxTopicLevels)) {
      throw Replies.invalid(field + " '" + topic
          + "' is not a valid MQTT topic name (non-empty, no + or #)");
    }
  }

  private static String unanswered(List<String> missing) {
    return missing.isEmpty() ? "" : " (nodes that did not answer: " + String.join(", ", missing)
        + ")";
  }
}

package io.simqtt.peer.admin;

import io.grpc.stub.StreamObserver;
import io.simqtt.proto.admin.GetClientRequest;
import io.simqtt.proto.admin.GetClientResponse;
import io.simqtt.proto.admin.GetMetricsRequest;
import io.simqtt.proto.admin.GetStatusRequest;
import io.simqtt.proto.admin.KickClientRequest;
import io.simqtt.proto.admin.KickClientResponse;
import io.simqtt.proto.admin.ListClientsRequest;
import io.simqtt.proto.admin.ListClientsResponse;
import io.simqtt.proto.admin.ListSubscriptionsRequest;
import io.simqtt.proto.admin.ListSubscriptionsResponse;
import io.simqtt.proto.admin.NodeMetrics;
import io.simqtt.proto.admin.NodeReload;
import io.simqtt.proto.admin.NodeStatus;
import io.simqtt.proto.admin.PeerAdminServiceGrpc;
import io.simqtt.proto.admin.ReloadRequest;
import java.util.concurrent.CompletableFuture;

/**
 * The peer-port service other nodes call to build cluster-wide answers: this node's own part
 * only, never asking further (one hop, like forwards). The caller has validated the request.
 */
final class PeerAdminEndpoint extends PeerAdminServiceGrpc.PeerAdminServiceImplBase {
  private final LocalAdmin local;

  PeerAdminEndpoint(LocalAdmin local) {
    this.local = local;
  }

  @Override
  public void getNodeStatus(GetStatusRequest r, StreamObserver<NodeStatus> out) {
    Replies.reply(out, () -> CompletableFuture.completedFuture(local.status()));
  }

  @Override
  public void listClients(ListClientsRequest r, StreamObserver<ListClientsResponse> out) {
    Replies.reply(out, () -> local.listClients(r, Limits.pageSize(r.getPageSize())));
  }

  @Override
  public void getClient(GetClientRequest r, StreamObserver<GetClientResponse> out) {
    Replies.reply(out, () -> local.getClient(r.getClientId()));
  }

  @Override
  public void kickClient(KickClientRequest r, StreamObserver<KickClientResponse> out) {
    Replies.reply(out, () -> local.kick(r));
  }

  @Override
  public void listSubscriptions(
      ListSubscriptionsRequest r, StreamObserver<ListSubscriptionsResponse> out) {
    Replies.reply(out, () -> local.subscriptions(r, Limits.subscriptionLimit(r.getLimit())));
  }

  @Override
  public void getNodeMetrics(GetMetricsRequest r, StreamObserver<NodeMetrics> out) {
    Replies.reply(out, local::metrics);
  }

  @Override
  public void reloadNode(ReloadRequest r, StreamObserver<NodeReload> out) {
    Replies.reply(out, () -> local.reload("admin API, asked by another node"));
  }
}

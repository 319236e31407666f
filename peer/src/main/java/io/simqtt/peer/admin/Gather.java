package io.simqtt.peer.admin;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.ManagedChannel;
import io.simqtt.peer.LinkTls;
import io.simqtt.config.ClusterSettings.PeerAddress;
import io.simqtt.proto.admin.PeerAdminServiceGrpc;
import io.simqtt.proto.admin.PeerAdminServiceGrpc.PeerAdminServiceFutureStub;
import io.simqtt.proto.admin.Subscription;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Asks this node and its peers the same question and collects the answers; a peer that does not
 * answer within {@link #DEADLINE_MILLIS} (down, partitioned, refusing) is named as missing
 * instead of failing the whole call or being left out silently.
 */
final class Gather implements AutoCloseable {
  static final long DEADLINE_MILLIS = 2_000;
  /**
   * A reload reads files and resolves every session's permissions again: longer than a read,
   * and within the CLI's own 10 s.
   */
  static final long RELOAD_DEADLINE_MILLIS = 8_000;
  static final Comparator<Subscription> SUBSCRIPTION_ORDER =
      Comparator.comparing(Subscription::getClientId)
          .thenComparing(Subscription::getNodeId)
          .thenComparing(Subscription::getFilter);

  private final String nodeId;
  private final Map<String, ManagedChannel> channels = new LinkedHashMap<>();
  private final Map<String, PeerAdminServiceFutureStub> stubs = new LinkedHashMap<>();

  /** The answers of the nodes that answered, and the ids of those that did not. */
  record Answers<T>(List<T> answers, List<String> missing) {}

  Gather(String nodeId, List<PeerAddress> peers, PeerAuth auth, LinkTls tls) {
    this.nodeId = nodeId;
    for (PeerAddress p : peers) {
      // Channels connect lazily and reconnect by themselves: a peer down now may answer later.
      ManagedChannel ch = LinkTls.channel(p, tls)
          .intercept(auth.clientInterceptor())
          .build();
      channels.put(p.id(), ch);
      stubs.put(p.id(), PeerAdminServiceGrpc.newFutureStub(ch));
    }
  }

  /** Every node. */
  <T> CompletableFuture<Answers<T>> all(
      CompletableFuture<T> local, Function<PeerAdminServiceFutureStub, ListenableFuture<T>> ask) {
    return all(local, ask, DEADLINE_MILLIS);
  }

  /** Every node, each peer given {@code deadlineMillis} to answer. */
  <T> CompletableFuture<Answers<T>> all(
      CompletableFuture<T> local, Function<PeerAdminServiceFutureStub, ListenableFuture<T>> ask,
      long deadlineMillis) {
    return nodes(id -> true, () -> local, ask, deadlineMillis);
  }

  /** The nodes whose id passes {@code which}; {@code local} is only called when this one does. */
  <T> CompletableFuture<Answers<T>> nodes(
      Predicate<String> which,
      java.util.function.Supplier<CompletableFuture<T>> local,
      Function<PeerAdminServiceFutureStub, ListenableFuture<T>> ask) {
    return nodes(which, local, ask, DEADLINE_MILLIS);
  }

  private <T> CompletableFuture<Answers<T>> nodes(
      Predicate<String> which,
      java.util.function.Supplier<CompletableFuture<T>> local,
      Function<PeerAdminServiceFutureStub, ListenableFuture<T>> ask,
      long deadlineMillis) {
    List<String> ids = new ArrayList<>();
    List<CompletableFuture<T>> calls = new ArrayList<>();
    if (which.test(nodeId)) {
      ids.add(nodeId);
      calls.add(local.get());
    }
    stubs.forEach((id, stub) -> {
      if (which.test(id)) {
        ids.add(id);
        calls.add(peerCall(ask.apply(
            stub.withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS))));
      }
    });
    return CompletableFuture.allOf(calls.stream()
            .map(c -> c.handle((v, e) -> null))
            .toArray(CompletableFuture[]::new))
        .thenApply(v -> {
          List<T> answers = new ArrayList<>();
          List<String> missing = new ArrayList<>();
          for (int i = 0; i < calls.size(); i++) {
            CompletableFuture<T> c = calls.get(i);
            if (i == 0 && ids.get(0).equals(nodeId)) {
              answers.add(c.join()); // this node's own failure is the call's failure
            } else if (c.isCompletedExceptionally()) {
              missing.add(ids.get(i));
            } else {
              answers.add(c.join());
            }
          }
          return new Answers<>(answers, missing);
        });
  }

  boolean knows(String id) {
    return id.equals(nodeId) || stubs.containsKey(id);
  }

  private static <T> CompletableFuture<T> peerCall(ListenableFuture<T> call) {
    CompletableFuture<T> f = new CompletableFuture<>();
    Futures.addCallback(call, new FutureCallback<T>() {
      @Override
      public void onSuccess(T result) {
        f.complete(result);
      }

      @Override
      public void onFailure(Throwable t) {
        f.completeExceptionally(t);
      }
    }, MoreExecutors.directExecutor());
    return f;
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
  }
}

package io.simqtt.peer.admin;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.simqtt.peer.ClusterMac;
import java.util.Base64;
import java.util.Set;

/**
 * Node-to-node admin calls carry {@code x-simqtt-peer-auth: <node id>:<millis>:<mac>}, the MAC
 * being the cluster secret's HMAC of both and the purpose, so the secret never travels and a
 * captured header is only good for a minute.
 */
final class PeerAuth {
  static final Metadata.Key<String> HEADER =
      Metadata.Key.of("x-simqtt-peer-auth", Metadata.ASCII_STRING_MARSHALLER);
  private static final String PURPOSE = "simqtt-peer-admin-v1";
  private static final long MAX_SKEW_MILLIS = 60_000;

  private final ClusterMac mac;
  private final String nodeId;
  private final Set<String> peerIds;

  PeerAuth(String secret, String nodeId, Set<String> peerIds) {
    this.mac = new ClusterMac(secret);
    this.nodeId = nodeId;
    this.peerIds = Set.copyOf(peerIds);
  }

  String header(long nowMillis) {
    String at = Long.toString(nowMillis);
    return nodeId + ":" + at + ":"
        + Base64.getEncoder().encodeToString(mac.sign(PURPOSE, nodeId, at));
  }

  /** Why a header is refused, or null to accept it. */
  String check(String header, long nowMillis) {
    if (header == null) {
      return "missing " + HEADER.name();
    }
    String[] parts = header.split(":", 3);
    if (parts.length != 3 || !peerIds.contains(parts[0])) {
      return "not from a node in this node's peer list";
    }
    long at;
    byte[] given;
    try {
      at = Long.parseLong(parts[1]);
      given = Base64.getDecoder().decode(parts[2]);
    } catch (IllegalArgumentException e) {
      return "malformed " + HEADER.name();
    }
    if (Math.abs(nowMillis - at) > MAX_SKEW_MILLIS) {
      return "stale (clocks more than a minute apart?)";
    }
    return mac.verify(given, PURPOSE, parts[0], parts[1]) ? null : "wrong cluster secret";
  }

  ClientInterceptor clientInterceptor() {
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(
          MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(
            next.newCall(method, options)) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            headers.put(HEADER, header(System.currentTimeMillis()));
            super.start(listener, headers);
          }
        };
      }
    };
  }

  ServerInterceptor serverInterceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String refused = check(headers.get(HEADER), System.currentTimeMillis());
        if (refused != null) {
          call.close(Status.UNAUTHENTICATED.withDescription("peer admin call refused: " + refused),
              new Metadata());
          return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
      }
    };
  }
}

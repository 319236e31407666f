package io.simqtt.peer.admin;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Checks {@code authorization: Bearer <admin.token>} on the admin service. It is attached to the
 * AdminService only, so health checks and reflection work without the token (load balancers and
 * grpcurl's discovery do not carry one; neither reveals or changes anything).
 */
final class BearerToken implements ServerInterceptor {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final String SCHEME = "Bearer ";

  private final byte[] expected;

  BearerToken(String token) {
    this.expected = (SCHEME + token).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String given = headers.get(AUTHORIZATION);
    if (given == null) {
      return refuse(call, "missing 'authorization: Bearer <token>' (the node has admin.token set)");
    }
    // Constant time, so the token cannot be guessed byte by byte from response times.
    if (!MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8))) {
      return refuse(call, "wrong admin token");
    }
    return next.startCall(call, headers);
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, String why) {
    call.close(Status.UNAUTHENTICATED.withDescription(why), new Metadata());
    return new ServerCall.Listener<>() {};
  }
}

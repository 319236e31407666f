package io.simqtt.peer.admin;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.simqtt.proto.admin.AdminServiceGrpc;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Set;

/**
 * Checks {@code authorization: Bearer <token>} on the admin service: admin.token may make every
 * call; admin.read-only-token only those that change nothing ({@link #CHANGING} answer it
 * PERMISSION_DENIED). It is attached to the AdminService only, so health checks and reflection
 * work without a token (load balancers and grpcurl's discovery do not carry one; neither reveals
 * or changes anything).
 */
final class BearerToken implements ServerInterceptor {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final String SCHEME = "Bearer ";

  /** The calls that change the broker or what clients see: only for admin.token. */
  static final Set<String> CHANGING = Set.of(
      AdminServiceGrpc.getKickClientMethod().getFullMethodName(),
      AdminServiceGrpc.getDeleteRetainedMethod().getFullMethodName(),
      AdminServiceGrpc.getPublishMethod().getFullMethodName(),
      AdminServiceGrpc.getReloadMethod().getFullMethodName());

  private final byte[] admin;
  /** Null when there is no read-only token. */
  private final byte[] readOnly;

  BearerToken(String adminToken, String readOnlyToken) {
    this.admin = header(adminToken);
    this.readOnly = readOnlyToken.isEmpty() ? null : header(readOnlyToken);
  }

  private static byte[] header(String token) {
    return (SCHEME + token).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String given = headers.get(AUTHORIZATION);
    if (given == null) {
      return refuse(call, Status.UNAUTHENTICATED,
          "missing 'authorization: Bearer <token>' (the node has admin.token set)");
    }
    byte[] bytes = given.getBytes(StandardCharsets.UTF_8);
    // Constant time, so a token cannot be guessed byte by byte from response times; both are
    // compared every time, so the time does not tell which one was close either.
    boolean isAdmin = MessageDigest.isEqual(admin, bytes);
    boolean isReadOnly = readOnly != null && MessageDigest.isEqual(readOnly, bytes);
    if (!isAdmin && !isReadOnly) {
      return refuse(call, Status.UNAUTHENTICATED, "wrong admin token");
    }
    String method = call.getMethodDescriptor().getFullMethodName();
    if (!isAdmin && CHANGING.contains(method)) {
      return refuse(call, Status.PERMISSION_DENIED,
          call.getMethodDescriptor().getBareMethodName() + " changes the broker and needs"
              + " admin.token; this token is admin.read-only-token, which may only read");
    }
    return next.startCall(call, headers);
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(
      ServerCall<Q, R> call, Status status, String why) {
    call.close(status.withDescription(why), new Metadata());
    return new ServerCall.Listener<>() {};
  }
}

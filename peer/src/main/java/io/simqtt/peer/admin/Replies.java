package io.simqtt.peer.admin;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Completes a gRPC call from a future, turning failures into status codes callers can act on. */
final class Replies {
  private static final Logger LOG = LoggerFactory.getLogger(Replies.class);

  private Replies() {}

  /** {@code answer} may throw a StatusRuntimeException (validation) or fail later. */
  static <T> void reply(StreamObserver<T> out, Supplier<CompletableFuture<T>> answer) {
    CompletableFuture<T> f;
    try {
      f = answer.get();
    } catch (RuntimeException e) {
      out.onError(toStatus(e));
      return;
    }
    f.whenComplete((v, e) -> {
      if (e != null) {
        out.onError(toStatus(e));
      } else {
        out.onNext(v);
        out.onCompleted();
      }
    });
  }

  static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }

  static StatusRuntimeException notFound(String message) {
    return Status.NOT_FOUND.withDescription(message).asRuntimeException();
  }

  private static StatusRuntimeException toStatus(Throwable e) {
    while ((e instanceof CompletionException || e instanceof ExecutionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof StatusRuntimeException s) {
      return s;
    }
    if (e instanceof StatusException s) {
      return s.getStatus().asRuntimeException();
    }
    if (e instanceof TimeoutException) {
      return Status.DEADLINE_EXCEEDED
          .withDescription("the broker did not answer in time").asRuntimeException();
    }
    LOG.warn("admin call failed", e);
    return Status.INTERNAL.withDescription(e.toString()).asRuntimeException();
  }
}

package io.simqtt.core.session;

import io.simqtt.core.auth.ClientIdentity;
import io.simqtt.core.auth.Permissions;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * The questions to the authorizers of the background retries and of a reload's pass over the
 * sessions ({@link PermissionRetries}), one at a time on each of those threads, each on a thread
 * of its own and waited for {@code mqtt.auth.retry-wait} at most: an authorizer that hangs for a
 * client (rather than fails) costs the asker that long, not every answer after it. A question past its bound is interrupted and given up ({@link #abandoned}).
 * One whose authorizer ignores the interrupt keeps its thread until it returns; while {@code
 * maxStuck} threads are kept so, no question is asked ({@link #mayAsk}), so a plug-in that hangs
 * for good holds that many threads, no more.
 */
final class BoundedQuestions implements AutoCloseable {
  private static final int NEW = 0;
  private static final int ASKING = 1;
  private static final int ANSWERED = 2;
  private static final int ABANDONED = 3;

  private final Function<ClientIdentity, Permissions> authorizers;
  private final long waitNanos;
  private final int maxStuck;
  private final ExecutorService askers = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "simqtt-permission-question");
    t.setDaemon(true);
    return t;
  });
  /** Questions given up whose authorizer has not returned yet. */
  private final AtomicInteger stuck = new AtomicInteger();
  private final LongAdder abandoned = new LongAdder();

  BoundedQuestions(
      Function<ClientIdentity, Permissions> authorizers, long waitNanos, int maxStuck) {
    this.authorizers = authorizers;
    this.waitNanos = waitNanos;
    this.maxStuck = maxStuck;
  }

  /** Whether a question may be asked: fewer than {@code maxStuck} given up still run. */
  boolean mayAsk() {
    return stuck.get() < maxStuck;
  }

  /**
   * What {@code client} may do; unknown if an authorizer failed, null if none answered within the
   * bound (the question is given up).
   *
   * @throws InterruptedException the caller was interrupted, or this was closed: no more asking
   */
  Permissions ask(ClientIdentity client) throws InterruptedException {
    Question q = new Question(client);
    Future<Permissions> answer;
    try {
      answer = askers.submit(q);
    } catch (RejectedExecutionException closed) {
      throw new InterruptedException("closed");
    }
    try {
      return answer.get(waitNanos, TimeUnit.NANOSECONDS);
    } catch (ExecutionException failed) {
      return Permissions.unknown(client);
    } catch (TimeoutException late) {
      q.abandon();
      answer.cancel(true);
      abandoned.increment();
      return null;
    } catch (InterruptedException stopping) {
      q.abandon();
      answer.cancel(true);
      throw stopping;
    }
  }

  /** Questions given up so far, not answered within {@code mqtt.auth.retry-wait}. */
  long abandoned() {
    return abandoned.sum();
  }

  @Override
  public void close() {
    askers.shutdownNow();
  }

  /** One question; counts itself stuck while it runs on after being given up. */
  private final class Question implements Callable<Permissions> {
    private final ClientIdentity client;
    private final AtomicInteger state = new AtomicInteger(NEW);

    Question(ClientIdentity client) {
      this.client = client;
    }

    @Override
    public Permissions call() {
      if (!state.compareAndSet(NEW, ASKING)) {
        return null; // given up before it began
      }
      try {
        return authorizers.apply(client);
      } finally {
        if (!state.compareAndSet(ASKING, ANSWERED)) {
          stuck.decrementAndGet();
        }
      }
    }

    void abandon() {
      if (state.getAndSet(ABANDONED) == ASKING) {
        stuck.incrementAndGet();
      }
    }
  }
}

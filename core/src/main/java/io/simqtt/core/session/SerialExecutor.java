package io.simqtt.core.session;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.PlatformDependent;
import java.util.Queue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one session's tasks one at a time, in order, on the session's home event loop.
 *
 * <p>{@link Session} extends this class rather than holding an instance: the executor's three
 * fields then live in the session object instead of a second object per session, which an idle
 * connection would pay for too (docs/BENCHMARKS.md, "Memory per idle connection"). The two stay
 * apart in code: everything here is about ordering tasks and knows nothing of MQTT, and its
 * state is private to this class.
 *
 * <p>The home is the event loop of the session's current connection, so a connected session's
 * work shares a thread with its socket and needs no locks. A task submitted from the home loop
 * while nothing else runs is executed inline (the common case: publisher and subscriber on one
 * loop). When the home moves (a reconnect on another loop), the drain loop notices and continues
 * on the new home, so tasks never run on two threads at once and never overtake each other.
 */
abstract class SerialExecutor implements Executor {
  private static final Logger LOG = LoggerFactory.getLogger(SerialExecutor.class);
  /** Tasks drained per turn before yielding the loop to other channels. */
  private static final int BATCH = 256;

  /** Small chunks: an inbox rarely holds more than a burst of hand-offs. */
  private static final int INBOX_CHUNK = 16;
  /** The largest capacity the queue supports; what a session holds is bounded elsewhere. */
  private static final int MAX_INBOX = 1 << 30;

  @SuppressWarnings("rawtypes")
  private static final AtomicReferenceFieldUpdater<SerialExecutor, Queue> INBOX =
      AtomicReferenceFieldUpdater.newUpdater(SerialExecutor.class, Queue.class, "inbox");
  private static final AtomicIntegerFieldUpdater<SerialExecutor> RUNNING =
      AtomicIntegerFieldUpdater.newUpdater(SerialExecutor.class, "running");

  /**
   * Created on the first hand-off from another thread: most sessions run every task inline and
   * sit idle, and a padded MPSC queue costs ~600 bytes, a tenth of an idle connection.
   */
  private volatile Queue<Runnable> inbox;
  /** 1 while a task of this executor runs or a drain is scheduled. */
  private volatile int running;
  private volatile EventExecutor home;

  SerialExecutor(EventExecutor home) {
    this.home = home;
  }

  /** The event loop the tasks run on. */
  final EventExecutor home() {
    return home;
  }

  /** Moves future work to another loop; call only from a task of this executor. */
  final void moveTo(EventExecutor newHome) {
    this.home = newHome;
  }

  /**
   * Runs a task in submission order, never concurrently with another task of this executor: inline
   * when called on the home loop with nothing else queued, else on the home loop later. Safe from
   * any thread.
   */
  @Override
  public final void execute(Runnable task) {
    if (enterInline()) {
      try {
        runSafely(task);
      } finally {
        finishTurn();
      }
      return;
    }
    handOff(task);
  }

  /**
   * Runs {@code handler.accept(a, b)} as a task, exactly as {@link #execute(Runnable)} runs one.
   * For work submitted per packet: with a constant handler nothing is allocated when it runs
   * inline, the common case; only a hand-off to another thread wraps it in a task.
   */
  public final <A, B> void execute(BiConsumer<? super A, ? super B> handler, A a, B b) {
    if (enterInline()) {
      try {
        runSafely(handler, a, b);
      } finally {
        finishTurn();
      }
      return;
    }
    handOff(() -> handler.accept(a, b));
  }

  /** Whether a task may run inline now: on the home loop, nothing queued, nothing running. */
  private boolean enterInline() {
    return home.inEventLoop() && inboxIsEmpty() && RUNNING.compareAndSet(this, 0, 1);
  }

  private void handOff(Runnable task) {
    inbox().offer(task);
    if (RUNNING.compareAndSet(this, 0, 1)) {
      home.execute(this::drain);
    }
  }

  private void drain() {
    EventExecutor h = home;
    if (!h.inEventLoop()) {
      h.execute(this::drain);
      return;
    }
    Queue<Runnable> q = inbox();
    for (int i = 0; i < BATCH; i++) {
      Runnable task = q.poll();
      if (task == null) {
        break;
      }
      runSafely(task);
      if (home != h) {
        home.execute(this::drain);
        return;
      }
    }
    finishTurn();
  }

  private void finishTurn() {
    if (home.inEventLoop() && inboxIsEmpty()) {
      running = 0;
      // A task may have been offered after the isEmpty check but before the flag was cleared.
      if (!inboxIsEmpty() && RUNNING.compareAndSet(this, 0, 1)) {
        home.execute(this::drain);
      }
      return;
    }
    home.execute(this::drain);
  }

  /** Whether the inbox exists (it is made on the first hand-off from another thread); tests. */
  final boolean hasInbox() {
    return inbox != null;
  }

  private boolean inboxIsEmpty() {
    Queue<Runnable> q = inbox;
    return q == null || q.isEmpty();
  }

  @SuppressWarnings("unchecked")
  private Queue<Runnable> inbox() {
    Queue<Runnable> q = inbox;
    if (q == null) {
      q = PlatformDependent.newMpscQueue(INBOX_CHUNK, MAX_INBOX);
      if (!INBOX.compareAndSet(this, null, q)) {
        q = inbox;
      }
    }
    return q;
  }

  /** A failing task must not wedge the session: it is logged and the next one runs. */
  private static void runSafely(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException | Error e) {
      taskFailed(e);
    }
  }

  /**
   * {@link #runSafely(Runnable)} for a handler and its arguments. Plain tasks do not go through
   * this one by an adapter: the extra call level kept the JIT from removing task objects that
   * callers' lambdas create (docs/BENCHMARKS.md, "Allocation per message, second slice").
   */
  private static <A, B> void runSafely(BiConsumer<A, B> handler, A a, B b) {
    try {
      handler.accept(a, b);
    } catch (RuntimeException | Error e) {
      taskFailed(e);
    }
  }

  private static void taskFailed(Throwable e) {
    LOG.error("session task failed", e);
  }
}

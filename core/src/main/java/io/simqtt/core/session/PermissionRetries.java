package io.simqtt.core.session;

import io.simqtt.core.auth.ClientIdentity;
import io.simqtt.core.auth.Permissions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves the permissions of stored sessions: once per session at recovery ({@link
 * #resolveAll}), and again in the background for each whose authorizer failed then (an HTTP one
 * that is down) or did not answer in time, until the answer comes. A session whose permissions
 * are unknown keeps what is routed to it
 * meanwhile, queued and unchecked, and checks all it has queued once its permissions are known
 * (see {@link Session#permissionsKnown}); a connection attaching first brings permissions of its
 * own, and the session checks its queue against those. A will that comes due meanwhile waits
 * here too, for its client's permissions, even once its session has ended ({@link #whenKnown},
 * see {@link WillPublisher}). It also moves the sessions to new rules after a reload ({@link
 * #refreshAll}), and in the background those the authorizers could not answer for then or whose
 * client connected as the rules changed ({@link #refresh}): such a session keeps the rules it has
 * until the answer comes.
 *
 * <p>Retries go in rounds on a thread of their own, in the order the sessions failed, each
 * waiter asked once per round at most: a round stops at the first session the authorizer fails
 * for again or does not answer for within {@code mqtt.auth.retry-wait} ({@link BoundedQuestions}:
 * such a question is interrupted and given up, counted, {@link #abandoned}). It is most likely
 * still down or hanging, and asking for every session would only load it, at up to the wait
 * each. That session goes to the back of the list, so a client it keeps failing or hanging for
 * (its lookup errs while the others' work) holds no other back. The next round comes after a
 * pause that doubles from {@link #FIRST_PAUSE_MILLIS} up to {@link #MAX_PAUSE_MILLIS} while
 * rounds resolve nothing. So a down authorizer is asked at most once per pause, and the warning
 * its failure logs comes as seldom. Sessions that ended or got a connection meanwhile leave the
 * list without a question. The list holds each session at most once for unknown permissions and
 * once for new rules (a permissions object it no longer holds leaves at the next round), and
 * each session's will at most once (a session has one will, and one that waits here is its
 * last), so it is bounded by three times the sessions and the wills the store kept; tries are
 * counted ({@link #retries}), and so is what waits ({@link #waiting}).
 *
 * <p>At recovery the authorizers are asked on {@code mqtt.auth.threads} threads of their own at
 * once (an authorizer may block, on a remote service), each taking the next client from the
 * list, for at most {@code mqtt.auth.recovery-wait} in all: so a slow authorizer delays a restart
 * (and the listeners opening) by that at most, not by its latency times the sessions. The clients
 * not answered by then are unknown, and retried like those an authorizer failed for; a question
 * still under way is interrupted (nobody waits for its answer, and the retry asks again), so an
 * authorizer that hangs keeps no thread, and the threads take no further client.
 */
public final class PermissionRetries implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PermissionRetries.class);
  static final long FIRST_PAUSE_MILLIS = 1_000;
  static final long MAX_PAUSE_MILLIS = 60_000;

  private final Function<ClientIdentity, Permissions> authorizers;
  private final int recoveryThreads;
  private final long recoveryWaitNanos;
  private final BoundedQuestions questions;
  private final LongAdder retries = new LongAdder();
  // Guarded by this:
  private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
  /** The permissions objects that wait for new rules in {@link #waiting} ({@link #refresh}). */
  private final Set<Permissions> refreshing =
      Collections.newSetFromMap(new IdentityHashMap<>());
  private ScheduledExecutorService thread;
  private long pauseMillis = FIRST_PAUSE_MILLIS;
  private boolean closed;

  /**
   * @param authorizers what a client may do under the rules in force; {@link
   *     Permissions#unknown} when an authorizer fails
   * @param recoveryThreads how many clients are asked for at once at recovery
   * @param recoveryWait how long recovery waits for the answers at most
   * @param retryWait how long a retry waits for the answer about one client at most
   */
  public PermissionRetries(Function<ClientIdentity, Permissions> authorizers,
      int recoveryThreads, Duration recoveryWait, Duration retryWait) {
    this.authorizers = authorizers;
    this.recoveryThreads = recoveryThreads;
    this.recoveryWaitNanos = recoveryWait.toNanos();
    this.questions = new BoundedQuestions(authorizers, retryWait.toNanos(), recoveryThreads);
  }

  /**
   * What each of {@code clients} may do, in their order, asked as the class comment says; unknown
   * for those an authorizer failed for or did not answer in time (then see {@link #retry}).
   * Blocks for {@code mqtt.auth.recovery-wait} at most.
   */
  List<Permissions> resolveAll(List<ClientIdentity> clients) {
    int n = clients.size();
    AtomicReferenceArray<Permissions> answers = new AtomicReferenceArray<>(n);
    AtomicInteger next = new AtomicInteger();
    AtomicBoolean late = new AtomicBoolean();
    int threads = Math.min(recoveryThreads, n);
    CountDownLatch done = new CountDownLatch(threads);
    List<Thread> askers = new ArrayList<>(threads);
    for (int t = 0; t < threads; t++) {
      Thread asker = new Thread(() -> {
        try {
          int i;
          while (!late.get() && (i = next.getAndIncrement()) < n) {
            answers.set(i, authorizers.apply(clients.get(i)));
          }
        } finally {
          done.countDown();
        }
      }, "simqtt-permissions-" + t);
      asker.setDaemon(true);
      askers.add(asker);
      asker.start();
    }
    boolean inTime;
    try {
      inTime = done.await(recoveryWaitNanos, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      inTime = false;
    }
    late.set(true);
    List<Permissions> resolved = new ArrayList<>(n);
    int unanswered = 0;
    for (int i = 0; i < n; i++) {
      Permissions p = answers.get(i);
      if (p == null) {
        unanswered++;
        p = Permissions.unknown(clients.get(i));
      }
      resolved.add(p);
    }
    if (!inTime) {
      // Only now that the answers are taken: one given as its question is interrupted is none.
      askers.forEach(Thread::interrupt);
      LOG.warn("the authorizers did not answer for {} of {} stored sessions' clients within"
          + " mqtt.auth.recovery-wait ({} ms): their permissions are unknown for now", unanswered,
          n, TimeUnit.NANOSECONDS.toMillis(recoveryWaitNanos));
    }
    return resolved;
  }

  /**
   * Something that waits for {@code client}'s permissions: {@code known} gets them, on the
   * retries' thread, unless {@code over} says it no longer waits. {@code will}: a will's (they
   * are counted when the node stops).
   */
  private record Waiter(ClientIdentity client, BooleanSupplier over, Consumer<Permissions> known,
      boolean will, Permissions refreshing) {}

  /** {@code s}'s permissions are unknown: asked again in the background until they are not. */
  void retry(Session s) {
    Permissions unknown = s.permissions();
    add(new Waiter(unknown.client(), () -> s.isEnded() || s.permissions() != unknown,
        p -> s.execute(() -> s.permissionsKnown(unknown, p)), false, null));
  }

  /**
   * A reload: each of {@code sessions} whose permissions {@code stale} says follow replaced rules
   * adopts the rules in force now, in place ({@link Permissions#adopt}), asked on the calling
   * thread one after the other, each question bounded as the retries' are ({@code
   * mqtt.auth.retry-wait}; one given up is counted, {@link #abandoned}). At the first client the
   * authorizers fail for or do not answer in time, it stops asking, as a round does: they are
   * most likely down or hanging, and asking for every session would cost up to the wait each.
   * That session and those not asked keep the rules they have, as when no answer is needed yet,
   * and are asked again in the retries' rounds ({@link #refresh}): so a reload while an
   * authorizer is down takes no rights from connected clients and leaves none behind for good.
   * Returns how many follow the new rules now.
   */
  public int refreshAll(Collection<Session> sessions, Predicate<Permissions> stale) {
    int adopted = 0;
    boolean asking = true;
    for (Session s : sessions) {
      Permissions p = s.permissions();
      if (!p.isKnown() || !stale.test(p)) {
        continue; // current, no authorizer, or unknown (then retried already)
      }
      if (asking && questions.mayAsk()) {
        try {
          Permissions answer = questions.ask(p.client());
          if (answer != null && answer.isKnown()) {
            if (p.adopt(answer)) {
              adopted++;
            }
            continue;
          }
        } catch (InterruptedException stopping) {
          Thread.currentThread().interrupt();
          return adopted; // the node stops
        }
      }
      asking = false;
      refresh(s);
    }
    return adopted;
  }

  /**
   * {@code s}'s permissions follow replaced rules (its client connected while they changed, or
   * a reload could not ask for it): they are kept until the authorizers answer, asked in the
   * retries' rounds, then adopted in place. Each permissions object waits here once at most.
   */
  public void refresh(Session s) {
    Permissions p = s.permissions();
    add(new Waiter(p.client(), () -> s.isEnded() || s.permissions() != p, p::adopt, false, p));
  }

  /**
   * A will of {@code client}, whose permissions are unknown, waits for them: {@code then} gets
   * them once the authorizers answer, on the retries' thread. Nothing if the node stops first.
   */
  void whenKnown(ClientIdentity client, Consumer<Permissions> then) {
    add(new Waiter(client, () -> false, then, true, null));
  }

  private synchronized void add(Waiter w) {
    if (closed || w.refreshing() != null && !refreshing.add(w.refreshing())) {
      return;
    }
    waiting.add(w);
    if (thread == null) {
      thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "simqtt-permission-retries");
        t.setDaemon(true);
        return t;
      });
      LOG.warn("the authorizers could not be asked for some sessions' permissions (at recovery,"
          + " or for new rules): asked again in {} ms", pauseMillis);
      schedule();
    }
  }

  /** Called holding the lock, with sessions waiting. */
  private void schedule() {
    try {
      thread.schedule(this::round, pauseMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException stopped) {
      // Closed meanwhile: nothing is asked again.
    }
  }

  private void round() {
    boolean resolvedAny = false;
    // Each waiter in the list as the round begins is asked once at most: one put back goes
    // behind them, and so do those added meanwhile.
    int left = waiting();
    Waiter w;
    // A waiter stays first in the list (and counted in waiting()) until its answer is handed
    // over: only this thread takes waiters off, others add them at the end.
    while (left-- > 0 && (w = next()) != null) {
      if (w.over().getAsBoolean()) {
        done();
        continue; // a connection brought its client's permissions, or the session is over
      }
      if (!questions.mayAsk()) {
        break; // questions given up still hold every thread they may: asked again later
      }
      retries.increment();
      Permissions p;
      try {
        p = questions.ask(w.client());
      } catch (InterruptedException stopped) {
        return; // close(): nothing is asked again
      }
      if (p == null || !p.isKnown()) {
        // Failed, or not answered in time: the round ends here (see the class comment).
        synchronized (this) {
          if (!closed) { // close() emptied the list meanwhile
            waiting.addLast(waiting.pollFirst());
          }
        }
        break;
      }
      resolvedAny = true;
      w.known().accept(p);
      done();
    }
    synchronized (this) {
      if (closed) {
        return;
      }
      if (waiting.isEmpty()) {
        LOG.info("every session and will that waited for its permissions has them");
        pauseMillis = FIRST_PAUSE_MILLIS;
        thread.shutdown();
        thread = null;
        return;
      }
      pauseMillis = resolvedAny ? FIRST_PAUSE_MILLIS : Math.min(pauseMillis * 2, MAX_PAUSE_MILLIS);
      LOG.warn("{} sessions and wills still wait for their permissions (an authorizer fails or"
          + " hangs); asked again in {} ms", waiting.size(), pauseMillis);
      schedule();
    }
  }

  /** The pause before the next round. */
  synchronized long pauseMillis() {
    return pauseMillis;
  }

  private synchronized Waiter next() {
    return closed ? null : waiting.peekFirst();
  }

  /** The first waiter is answered (or no longer waits). */
  private synchronized void done() {
    Waiter w = waiting.pollFirst();
    if (w != null && w.refreshing() != null) {
      refreshing.remove(w.refreshing());
    }
  }

  /** Times a session's permissions were asked for again. */
  public long retries() {
    return retries.sum();
  }

  /** Retries' questions given up, not answered within {@code mqtt.auth.retry-wait}. */
  public long abandoned() {
    return questions.abandoned();
  }

  /** Sessions and wills whose permissions are unknown and asked for again. */
  public synchronized int waiting() {
    return waiting.size();
  }

  /**
   * No more questions. The wills still waiting stay in the store as due (see {@link
   * WillPublisher}): the next start checks them again, and publishes those the rules allow.
   */
  @Override
  public synchronized void close() {
    closed = true;
    long wills = waiting.stream().filter(Waiter::will).count();
    if (wills > 0) {
      LOG.warn("{} wills wait for their clients' permissions as the node stops: kept in the"
          + " store, they are checked and go out at the next start", wills);
    }
    waiting.clear();
    refreshing.clear();
    if (thread != null) {
      thread.shutdownNow();
      thread = null;
    }
    questions.close();
  }
}

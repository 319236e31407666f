package io.simqtt.core.session;

import io.netty.util.concurrent.EventExecutor;
import io.simqtt.config.SessionSettings;
import io.simqtt.core.cluster.Cluster;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.topic.SubscriptionTree;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Client id to session, for this node. */
public final class SessionRegistry {
  /** How long a page waits for a session of its client here to begin an import. */
  private static final long IMPORT_BEGIN_SECONDS = 30;
  /** Held while an import's first seq is chosen and begun (see {@link #beginImportAbove}). */
  private final Object importBegins = new Object();
  private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
  private final SessionSettings settings;
  /** What every session of this node is given. */
  private final SessionContext context;
  /** Sessions in the map that moved to another node and only redirect (not shown). */
  private final AtomicInteger moved = new AtomicInteger();
  /**
   * Entries in the map, counted as they are made and removed (inside the map's atomic updates),
   * so the cap on sessions holds exactly even under a storm of CONNECTs.
   */
  private final AtomicInteger held = new AtomicInteger();
  /** Whether the sessions' store writes to disk: read once, not per message. */
  private final boolean durable;
  private final PermissionRetries permissions;

  /**
   * @param willRoute routes a will like any publish (the router lives above the registry, so it
   *     is passed in)
   * @param sharedRedelivery gives a shared-subscription delivery another member when the client
   *     that had it leaves
   * @param redirectMillis how long a session that moved to another node redirects what still
   *     reaches it here
   * @param lateRedirectMillis how long after a move a redirect (on a running node or brought back
   *     at recovery) may still redirect while a peer is away, and a window for second copies
   *     stays open while one is
   * @param permissions resolves what the clients of stored sessions may do, at recovery and
   *     again while an authorizer fails (see {@link PermissionRetries})
   * @param store where sessions with Session Expiry Interval above 0 write ({@link
   *     SessionStore#MEMORY} for nowhere)
   */
  public SessionRegistry(
      SessionSettings settings,
      SubscriptionTree subscriptions,
      BrokerMetrics metrics,
      WillRoute willRoute,
      SharedRedelivery sharedRedelivery,
      Cluster cluster,
      long redirectMillis,
      long lateRedirectMillis,
      PermissionRetries permissions,
      SessionStore store) {
    this(
        settings,
        subscriptions,
        metrics,
        willRoute,
        sharedRedelivery,
        cluster,
        redirectMillis,
        lateRedirectMillis,
        SessionClock.SYSTEM,
        permissions,
        store);
  }

  /** As above, with the sessions' clock given (tests move it by hand). */
  SessionRegistry(
      SessionSettings settings,
      SubscriptionTree subscriptions,
      BrokerMetrics metrics,
      WillRoute willRoute,
      SharedRedelivery sharedRedelivery,
      Cluster cluster,
      long redirectMillis,
      long lateRedirectMillis,
      SessionClock clock,
      PermissionRetries permissions,
      SessionStore store) {
    this.settings = settings;
    this.durable = store.isDurable();
    this.permissions = permissions;
    this.context =
        new SessionContext(
            settings,
            subscriptions,
            cluster,
            metrics,
            clock,
            new WillPublisher(store, metrics, clock, willRoute, permissions),
            sharedRedelivery,
            redirectMillis,
            lateRedirectMillis,
            this,
            store);
  }

  /** Queued messages a stored session keeps on the heap (the rest is only on disk). */
  int queueMemoryMessages() {
    return settings.queueMemoryMessages();
  }

  /** What the clients of stored sessions may do: asked at recovery, and again while unknown. */
  public PermissionRetries permissions() {
    return permissions;
  }

  /** Where sessions publish their wills; recovery sends the wills the store kept through it. */
  WillPublisher wills() {
    return context.wills();
  }

  /** The store sessions write to ({@link SessionStore#MEMORY} when none). */
  public SessionStore store() {
    return context.store();
  }

  /**
   * Whether sessions are written to disk: then a publisher's PUBACK / PUBREC waits until the
   * messages it was queued for are durable.
   */
  public boolean isDurable() {
    return durable;
  }

  /**
   * The session for a client id, created (homed on {@code loop}) when there is none; null when
   * there is none and this node already holds {@code mqtt.sessions.max-sessions} (the CONNECT is
   * then refused). A session this node holds is always returned, whatever the count. The caller
   * must then run {@link Session#attach} as a task of it: until then the session is not removed.
   *
   * @param beyondCap create the session even at the cap: another node handed it over, so it
   *     exists already and only changes node (a reconnect, which the cap never refuses)
   */
  public Session claim(String clientId, EventExecutor loop, boolean beyondCap) {
    return sessions.compute(
        clientId,
        (id, existing) -> {
          Session s = existing;
          if (s == null) {
            if (!reserve(beyondCap)) {
              return null;
            }
            s = new Session(id, context, loop);
          }
          Session.PENDING_ATTACHES.incrementAndGet(s);
          return s;
        });
  }

  /**
   * Where the queued messages of {@code clientId}'s session go while it arrives from another node
   * in parts: to the store when it is durable and the session is to be {@code stored} (its new
   * connection keeps it), else to the heap (see {@link SessionImport}).
   */
  public SessionImport importSession(String clientId, boolean stored) {
    return stored && isDurable()
        ? new SessionImport(store(), clientId, () -> beginImport(clientId))
        : SessionImport.onHeap(clientId);
  }

  /**
   * Begins an import of {@code clientId}'s queued entries in the store as its first page comes,
   * on the page's thread, and returns its first seq, or 0 for the heap (see {@link
   * SessionImport#firstSeqAbove}). A session of the client here (a redirect left by an earlier
   * move, a copy still held) is asked, as a task of its own, what it keeps in the store, and the
   * import begins in that task: what the session writes and deletes afterwards reaches the store
   * behind the mark, so its deletes leave the import be (see {@link SessionStore#beginImport}).
   */
  private long beginImport(String clientId) {
    Session s = sessions.get(clientId);
    if (s == null) {
      return beginImportAbove(clientId, 0);
    }
    CompletableFuture<Long> first = new CompletableFuture<>();
    s.execute(() -> {
      try {
        long seq = beginImportAbove(clientId, s.highestSeqForImport());
        if (!first.complete(seq) && seq != 0) {
          store().abandonImport(clientId, seq); // the page gave up waiting: nothing follows
        }
      } catch (RuntimeException e) {
        first.completeExceptionally(e);
      }
    });
    // A loop that stopped (the node closing) never answers: the page gives up, the claim gives
    // the state back.
    return first.orTimeout(IMPORT_BEGIN_SECONDS, TimeUnit.SECONDS).join();
  }

  /**
   * Begins an import of {@code clientId} above {@code held} (see {@link
   * SessionImport#firstSeqAbove}) and above the imports of the client still active, and returns
   * its first seq (0: none begun). One begin at a time: two imports of one client beginning
   * together (two holders' pages on two links) would otherwise both take the same range.
   */
  private long beginImportAbove(String clientId, long held) {
    synchronized (importBegins) {
      long seq = SessionImport.firstSeqAbove(held, store().lastImport(clientId));
      if (seq != 0) {
        store().beginImport(clientId, seq);
      }
      return seq;
    }
  }

  /**
   * A session the store kept, at recovery (before the listeners open), homed on {@code loop}: it
   * is listed at once, whatever the cap (it existed before the restart).
   */
  Session recovered(String clientId, EventExecutor loop) {
    Session s = new Session(clientId, context, loop);
    if (sessions.putIfAbsent(clientId, s) != null) {
      throw new IllegalStateException("session " + clientId + " recovered twice");
    }
    reserve(true);
    return s;
  }

  /** Counts one more session unless that would pass the cap; {@code force} passes it anyway. */
  private boolean reserve(boolean force) {
    int max = settings.maxSessions();
    while (true) {
      int n = held.get();
      if (n >= max && !force) {
        return false;
      }
      if (held.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /**
   * The session of a client id, or null; it may be one that moved to another node and only
   * redirects ({@link Session#isMoved}).
   */
  public Session get(String clientId) {
    return sessions.get(clientId);
  }

  /** The session of a client id unless there is none or it moved to another node. */
  private Session owned(String clientId) {
    Session s = sessions.get(clientId);
    return s == null || s.isMoved() ? null : s;
  }

  /** What operators see of a client's session; completes with null when there is none. */
  public CompletableFuture<ClientInfo> info(String clientId) {
    Session s = owned(clientId);
    if (s == null) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<ClientInfo> info = new CompletableFuture<>();
    s.execute(() -> info.complete(s.info()));
    return info;
  }

  /**
   * Kicks a client (see {@link Session#kick}); completes with null when there is no session, else
   * with whether a connection was closed.
   */
  public CompletableFuture<Boolean> kick(String clientId, boolean discardSession) {
    Session s = owned(clientId);
    if (s == null) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Boolean> kicked = new CompletableFuture<>();
    s.execute(() -> kicked.complete(s.kick(discardSession)));
    return kicked;
  }

  /**
   * Reads something from every session, each read as a task of its session (so never racing
   * with it); completes when all have answered. For operators' views, not the hot path, and not
   * for figures read often: called from a thread other than the sessions' loops, it gives every
   * session an inbox it keeps (see {@link #heldMessages}).
   */
  public <T> CompletableFuture<List<T>> readEach(Function<Session, T> read) {
    List<CompletableFuture<T>> reads = new ArrayList<>();
    for (Session s : all()) {
      CompletableFuture<T> r = new CompletableFuture<>();
      s.execute(() -> r.complete(read.apply(s)));
      reads.add(r);
    }
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
        .thenApply(v -> reads.stream().map(CompletableFuture::join).toList());
  }

  /**
   * Messages held by this node's sessions, queued and in flight, summed without running a task
   * in any session: a task submitted from a thread other than a session's home loop creates that
   * session's inbox (~600 bytes, see {@link SerialExecutor}), and a gauge read every scrape would
   * so give every idle session one. The sizes are read racily, each as its session had it a
   * moment ago, possibly off while that session changes it: right for gauges, not for decisions.
   * Views that need each session's figures consistent read them with {@link #readEach} or {@link
   * #info}.
   */
  public HeldMessages heldMessages() {
    long queued = 0;
    long inflight = 0;
    for (Session s : sessions.values()) {
      if (!s.isMoved()) {
        queued += s.queuedCountRacy();
        inflight += s.inflightCountRacy();
      }
    }
    return new HeldMessages(queued, inflight);
  }

  /**
   * Totals over this node's sessions, see {@link #heldMessages}.
   *
   * @param queued QoS 1/2 messages waiting in session queues (offline, slow, or beyond the
   *     in-flight window)
   * @param inflight outbound QoS 1/2 messages sent and not yet acknowledged
   */
  public record HeldMessages(long queued, long inflight) {}

  /** Sessions this node holds (not counting those that moved away and only redirect). */
  public int size() {
    return Math.max(0, sessions.size() - moved.get());
  }

  /** Sessions this node holds (not those that moved away and only redirect). */
  public Collection<Session> all() {
    return moved.get() == 0
        ? sessions.values()
        : sessions.values().stream().filter(s -> !s.isMoved()).toList();
  }

  void movedAway(Session s) {
    moved.incrementAndGet();
  }

  void movedBack(Session s) {
    moved.decrementAndGet();
  }

  /** Drops an ended session unless a CONNECT is about to attach to it. */
  void remove(Session session) {
    sessions.computeIfPresent(
        session.clientId(),
        (id, current) -> {
          if (current == session && session.pendingAttaches == 0) {
            held.decrementAndGet();
            return null;
          }
          return current;
        });
  }
}

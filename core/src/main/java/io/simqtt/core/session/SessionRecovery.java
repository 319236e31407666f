package io.simqtt.core.session;

import io.netty.util.concurrent.EventExecutor;
import io.simqtt.core.auth.ClientIdentity;
import io.simqtt.core.auth.Permissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds the stored sessions of a node from its {@link SessionStore} after a restart, before
 * the listeners open and before the cluster starts (so no client and no peer can reach a session
 * that is not back yet).
 *
 * <p>Two passes, and between them the authorizers are asked what each session's client may do
 * ({@link PermissionRetries#resolveAll}, a bounded wait). The first, on the calling thread,
 * builds each session's state: subscriptions
 * entered in the topic tree (and so advertised to the cluster like any), inbound QoS 2 ids,
 * in-flight messages with their packet ids and released state, and the first
 * {@code mqtt.sessions.queue-memory-messages} queued ones, in the order the session wrote them;
 * the rest of a queue stays on disk (the session keeps its range and reads it back in pages as the
 * queue drains, see {@link OutboundFlow}). Nothing else can touch the sessions yet, and nothing leaves them. The
 * second runs on each event loop for the sessions homed there, each as a task of its session
 * started from its own loop (inline, so no session is given an inbox for it): the will is armed
 * for when the last connection ended + its delay and the expiry for that + the expiry interval;
 * a session already past its expiry ends at once (its will goes out, the store deletes it), and
 * a will past its delay goes out now. Wills go out only in this pass, once every session is
 * back, so a restored subscriber gets them; the broker's {@link StartupWills} holds them until
 * the cluster is up, so subscribers on other nodes get them too. So do the wills the store still
 * kept as due (their copies were not all durable when the node stopped, or their clients'
 * permissions were unknown: those are checked first, see {@link WillPublisher}), each once per
 * start, read before the second pass adds the wills it sends. The redirects the store kept in
 * place of sessions that moved to other nodes ({@link SessionStore#redirectSession}) come back
 * in the first pass too, with their subscriptions, so that what peers resend to this node for
 * them is passed on; each redirects for what is left of its redirect time, counted from the move,
 * and then until the cluster is whole (every peer back, one given up as dead too), but not past
 * the late-redirect time after the move (one whose late-redirect time ran out while the node was
 * down ends in the second pass; see {@link SessionMove#resumeRedirect}).
 */
public final class SessionRecovery {
  private static final Logger LOG = LoggerFactory.getLogger(SessionRecovery.class);

  private SessionRecovery() {}

  /**
   * What recovery found.
   *
   * @param sessions sessions restored and kept
   * @param expired sessions past their expiry, ended at once
   * @param messages message entries restored onto the heap (queued and in flight)
   * @param onDisk queued entries left on disk, read back as their queues drain
   * @param orphans message entries of no stored session, ignored
   * @param willsAgain wills the store kept whose copies were not all durable, sent again
   * @param redirects redirects of sessions that moved to other nodes, back until the cluster is
   *     whole (at least for what is left of their redirect time, at most up to their
   *     late-redirect time)
   * @param redirectsOver redirects whose late-redirect time ended while the node was down, ended
   */
  public record Result(
      int sessions,
      int expired,
      long messages,
      long onDisk,
      long orphans,
      int willsAgain,
      int redirects,
      int redirectsOver) {}

  /**
   * Restores what {@code store} holds into {@code registry}, spreading the sessions over {@code
   * loops}; returns once every session is back and its timers are armed. The registry's {@link
   * PermissionRetries} resolve what each client may do under the rules in force now, between the
   * passes: messages routed to the session and its will are checked against them before the
   * client connects again, and so is what it had queued (see {@link #resumeOffline}); a
   * session kept without its client's identity (no authorizer was configured, or an older store)
   * is resolved as an anonymous client of its id. A session whose authorizer fails now, or does
   * not answer within {@code mqtt.auth.recovery-wait}, is asked for again in the background once
   * recovery is done, and keeps what is routed to it meanwhile (see {@link PermissionRetries}).
   */
  public static Result run(
      SessionStore store,
      SessionRegistry registry,
      List<? extends EventExecutor> loops) {
    long started = System.nanoTime();
    PermissionRetries permissions = registry.permissions();
    Map<Session, Long> offlineSince = new HashMap<>();
    Map<EventExecutor, List<Session>> byLoop = new HashMap<>();
    long[] counts = new long[3]; // messages, orphans, on disk
    // Whose permissions to ask for: each session's client, in the order of recovered, then the
    // clients of the due wills kept unchecked, in the store's order.
    List<ClientIdentity> asked = new ArrayList<>();
    List<Session> recovered = new ArrayList<>();
    store.load(
        registry.queueMemoryMessages(),
        st -> {
          EventExecutor loop = loops.get(Math.floorMod(st.clientId().hashCode(), loops.size()));
          Session s = registry.recovered(st.clientId(), loop);
          asked.add(st.identity() != null
              ? st.identity()
              : new ClientIdentity(st.clientId(), null, null, "", null));
          recovered.add(s);
          recover(s, st);
          offlineSince.put(s, st.offlineSinceMillis());
          byLoop.computeIfAbsent(loop, l -> new ArrayList<>()).add(s);
        },
        m -> {
          Session s = registry.get(m.clientId());
          if (s == null) {
            counts[1]++;
            return;
          }
          s.outbound().recover(m);
          counts[0]++;
        },
        b -> {
          Session s = registry.get(b.clientId());
          if (s == null) {
            counts[1] += b.count();
            return;
          }
          s.outbound().recoverBacklog(b);
          counts[2] += b.count();
        });
    // After the sessions and their entries: the store keeps a client's session or its redirect.
    List<Session> redirects = new ArrayList<>();
    for (StoredRedirect r : store.redirects()) {
      EventExecutor loop = loops.get(Math.floorMod(r.clientId().hashCode(), loops.size()));
      Session s = registry.recovered(r.clientId(), loop);
      SessionMove.recoverRedirect(s, r);
      redirects.add(s);
      byLoop.computeIfAbsent(loop, l -> new ArrayList<>()).add(s);
    }
    // Before the second pass, whose own wills are kept as due too.
    List<DueWill> dueWills = store.dueWills();
    for (DueWill w : dueWills) {
      if (w.uncheckedFor() != null) {
        asked.add(w.uncheckedFor());
      }
    }
    List<Permissions> answers = permissions.resolveAll(asked);
    Map<Session, Permissions> resolved = new HashMap<>();
    for (int i = 0; i < recovered.size(); i++) {
      resolved.put(recovered.get(i), answers.get(i));
    }
    int next = recovered.size();
    for (DueWill w : dueWills) {
      registry.wills().publishAgain(w, w.uncheckedFor() == null ? null : answers.get(next++));
    }
    AtomicInteger expired = new AtomicInteger();
    AtomicInteger redirectsOver = new AtomicInteger();
    AtomicInteger remaining = new AtomicInteger(offlineSince.size() + redirects.size());
    CompletableFuture<Void> resumed = new CompletableFuture<>();
    if (remaining.get() == 0) {
      resumed.complete(null);
    }
    byLoop.forEach(
        (loop, sessions) ->
            loop.execute(
                () -> {
                  for (Session s : sessions) {
                    Long since = offlineSince.get(s);
                    s.execute(
                        () -> {
                          try {
                            if (since == null) { // a redirect
                              if (!SessionMove.resumeRedirect(s)) {
                                redirectsOver.incrementAndGet();
                              }
                              return;
                            }
                            // 0: a connection was attached when the node stopped; it ended with
                            // the node, now on the session's clock.
                            long from = since == 0 ? s.now() : since;
                            if (!resumeOffline(s, from, resolved.get(s))) {
                              expired.incrementAndGet();
                            }
                          } finally {
                            if (remaining.decrementAndGet() == 0) {
                              resumed.complete(null);
                            }
                          }
                        });
                  }
                }));
    resumed.join();
    // Only now: an answer is handed to the session as a task of it, which recovery is not.
    resolved.forEach((s, p) -> {
      if (!p.isKnown() && !s.isEnded()) {
        permissions.retry(s);
      }
    });
    int total = offlineSince.size();
    Result r =
        new Result(total - expired.get(), expired.get(), counts[0], counts[2], counts[1],
            dueWills.size(), redirects.size() - redirectsOver.get(), redirectsOver.get());
    long millis = (System.nanoTime() - started) / 1_000_000;
    LOG.atInfo()
        .addKeyValue("sessions", r.sessions())
        .addKeyValue("expired", r.expired())
        .addKeyValue("messages", r.messages())
        .addKeyValue("onDisk", r.onDisk())
        .addKeyValue("millis", millis)
        .log("recovered {} sessions ({} expired while down) and {} messages, {} more left on"
                + " disk, in {} ms",
            r.sessions(), r.expired(), r.messages(), r.onDisk(), millis);
    if (r.redirects() > 0 || r.redirectsOver() > 0) {
      LOG.info("{} redirects of sessions that moved to other nodes redirect again for what is"
          + " left of their redirect time, and then until the cluster is whole, at most their"
          + " late-redirect time after the move; {} ended, their late-redirect time over while"
          + " the node was down", r.redirects(), r.redirectsOver());
    }
    if (r.willsAgain() > 0) {
      LOG.info("{} wills whose copies were not all durable when the node stopped go out again",
          r.willsAgain());
    }
    if (r.orphans() > 0) {
      LOG.warn("{} stored messages belong to no stored session; ignored", r.orphans());
    }
    return r;
  }

  /**
   * Takes on the session's own part as the store kept it, before the listeners open; its messages
   * follow in the order the session wrote them (what was left on disk last), then {@link
   * #resumeOffline}.
   */
  private static void recover(Session s, StoredSession st) {
    s.fresh = false;
    s.lineage = st.lineage();
    s.expiryInterval = st.expiryInterval();
    s.will = st.will();
    st.subscriptions().forEach(s::enterSubscription);
    if (!st.inboundQos2().isEmpty()) {
      s.inboundQos2 = new InboundQos2(st.inboundQos2());
    }
    OutboundFlow flow = s.outbound();
    flow.setJournal(new SessionJournal(s.context.store(), s));
    flow.recoverLastPacketId(st.lastPacketId());
  }

  /**
   * Goes on offline from where the store left the session, with what its client may do under the
   * rules now in force ({@code resolved}): the will goes out and the session ends at the
   * deadlines counted from {@code offlineSinceMillis}, at once when they are past. Returns
   * whether the session lives on.
   */
  private static boolean resumeOffline(Session s, long offlineSinceMillis, Permissions resolved) {
    s.permissions = resolved;
    s.epoch++;
    long expiresAt =
        s.expiryInterval == SessionExpiry.NEVER
            ? Long.MAX_VALUE
            : offlineSinceMillis + TimeUnit.SECONDS.toMillis(s.expiryInterval);
    if (expiresAt <= s.now()) {
      SessionEnd.offline(s);
      return false;
    }
    if (s.outbound != null && s.permissions.isKnown() && s.permissions.client() != null) {
      // What it queues, under the rules in force now; also what an earlier run queued unchecked,
      // its permissions unknown when it stopped.
      s.outbound.checkHeld(s.permissions);
    }
    // The expiry timer first: the store's offline time is worked out from it.
    SessionTimers.scheduleExpiry(s, expiresAt);
    if (s.will != null) {
      SessionTimers.scheduleWill(
          s, offlineSinceMillis + TimeUnit.SECONDS.toMillis(SessionTimers.willDelaySeconds(s)));
      if (s.will == null) {
        // Its delay passed while the node was down: it went out now.
        SessionPersistence.persist(s);
      }
    }
    return true;
  }
}

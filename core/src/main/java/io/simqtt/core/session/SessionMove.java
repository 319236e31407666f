package io.simqtt.core.session;

import io.simqtt.core.cluster.Cluster;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.routing.DeliveryReceipt;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A session's side of moving between nodes, as a state machine over its {@link Migration}: the
 * holder freezes the session for another node's claim ({@link #handOver}) and either redirects
 * to that node once it confirms ({@link #confirmed}) or resumes with everything it held ({@link
 * #aborted}); a session found on a later owner after a healed partition gives it what it holds
 * ({@link #yieldTo}), and the later owner drops second copies for a while ({@link
 * #expectRedirects}); a moved session redirects what still reaches it ({@link #admit}) for the
 * redirect time; a connection attaching settles whatever of this was under way ({@link
 * #settleForAttach}).
 *
 * <p>It keeps nothing of its own: the state is the session's {@link Migration}, which exists
 * only while some of it applies, so a session that never moves pays one null field. Every method
 * runs as a task of the session.
 */
final class SessionMove {
  /**
   * A message redirected this many times between nodes is dropped (counted): a session moves at
   * most once per claim, so a longer chain means nodes disagree about its owner.
   */
  static final int MAX_REDIRECT_HOPS = 8;

  private static final long REDIRECT_RECHECK_MILLIS = 1000;

  private SessionMove() {}

  /** See {@link Session#handOver}. */
  static void handOver(Session s, boolean cleanStart, CompletableFuture<HandOver> result) {
    if (s.ended || s.moved || SessionEnd.isEnding(s)) {
      result.complete(null);
      return;
    }
    if (s.migration != null && s.migration.isFrozen()) {
      s.migration.waiting.add(new Migration.Request(cleanStart, result));
      return;
    }
    if (cleanStart) {
      // The session ends here as one without a connection does: its shared deliveries go to
      // other members, those on disk a page at a time as they are read off the event loop, and
      // meanwhile it is over (another claim finds no session in it). Nothing to wait for.
      s.closeTakenOver("the client connected to another node");
      SessionEnd.offline(s);
      result.complete(null);
      return;
    }
    if (s.inboundQos2 != null && s.inboundQos2.hasUnsettled()) {
      // An id whose first copy is not durable yet would reach the new owner as settled, and a
      // resend there would be answered PUBREC at once: the client could finish the message while
      // a kill here still lost it. The state goes once they settle (the store's next
      // durability point); the connection goes now, so that no more arrive.
      s.closeTakenOver("the client connected to another node");
      s.inboundQos2.whenAllSettled(() -> handOverAfterWait(s, result));
      return;
    }
    long expiresAt = SessionTimers.expiryDeadline(s);
    long willDueAt = SessionTimers.willDeadline(s);
    s.epoch++;
    SessionTimers.cancel(s);
    s.closeTakenOver("the client connected to another node");
    // The messages, ids and will wait with the state, as they are: a hand-over that does not
    // happen leaves the session as it was. What arrives from now on waits here in the queue and
    // follows the session if it goes.
    FrozenOutbound frozen = s.outbound == null ? null : s.outbound.freeze();
    HandOver h = new HandOver(
        s, snapshot(s, frozen), frozen, s.inboundQos2, s.will, willDueAt, expiresAt);
    s.will = null;
    s.inboundQos2 = null;
    migration(s).pending = h;
    result.complete(h);
  }

  /**
   * {@link #handOver} again once what it waited for is in. A connection that attached here
   * meanwhile won its claim against the one asking (the claim order decided, as for requests
   * waiting on a frozen session): that one is answered null and the connection stays.
   */
  private static void handOverAfterWait(Session s, CompletableFuture<HandOver> result) {
    if (s.connection != null) {
      result.complete(null);
    } else {
      handOver(s, false, result);
    }
  }

  /**
   * The new owner installed the state: what queued meanwhile follows, later arrivals too (see
   * {@link #leaveInPages}).
   */
  static void confirmed(Session s, HandOver h, String newOwner) {
    if (s.migration == null || s.migration.pending != h) {
      return;
    }
    Migration m = s.migration;
    m.pending = null;
    m.endIfAborted = false;
    m.redirectsOnThaw = false;
    m.leavingTo = newOwner;
    leaveInPages(s, m);
  }

  /**
   * The session leaves for {@code m.leavingTo} with every message it holds and has not finished,
   * redirected in order. When part of it lies only on disk, that goes a page at a time as it is
   * read off the event loop, each page one {@link PassOn}, the next read once the link has
   * written the last ({@link OutboundFlow#handOnAllFirst}): so a session with a million queued
   * messages leaves with a page of them on the heap. Meanwhile the session stays as frozen
   * ({@link Migration#leavingTo}): what reaches it queues on disk behind the pages and goes with
   * them, other claims wait, and it becomes a redirect once the last page is handed on. Unless a
   * connection that attached meanwhile settled it (it is no longer leaving).
   */
  private static void leaveInPages(Session s, Migration m) {
    if (s.migration != m || m.leavingTo == null) {
      return;
    }
    String newOwner = m.leavingTo;
    if (s.outbound != null
        && s.outbound.handOnAllFirst(
            s.clientId(),
            (taken, entries) ->
                redirectAll(s, newOwner, SessionPersistence.passOn(s, taken, entries), taken),
            () -> leaveInPages(s, m))) {
      return;
    }
    leaveNow(s, m);
  }

  /** The leaving session goes with what it holds on the heap; nothing lies on disk. */
  private static void leaveNow(Session s, Migration m) {
    String newOwner = m.leavingTo;
    m.leavingTo = null;
    List<StoredMessage> entries = SessionPersistence.entriesToPassOn(s);
    List<Delivery> left =
        s.outbound == null ? List.of() : s.outbound.takeUnfinished(s.clientId(), entries);
    // Started while the session is stored: it leaves the store once they are safe.
    List<PassOn> units = SessionPersistence.passOn(s, left, entries);
    becomeRedirect(s, newOwner);
    redirectAll(s, newOwner, units, left);
    answerWaiting(s, m);
  }

  /**
   * Redirects {@code taken} to {@code newOwner}, in order, as {@code units} (see {@link
   * PassOn#handOut}): a stored session's entries stay in the store until the link has written
   * them.
   */
  private static void redirectAll(
      Session s, String newOwner, List<PassOn> units, List<Delivery> taken) {
    PassOn.handOut(units, taken, (d, receipt) -> redirect(s, newOwner, d, 0, receipt));
  }

  /** See {@link Session#yieldTo}. */
  static void yieldTo(Session s, String newOwner) {
    if (s.ended || s.moved || SessionEnd.isEnding(s)) {
      return;
    }
    if (s.migration != null && s.migration.isFrozen()) {
      // Frozen for a hand-over: if it goes ahead the session leaves anyway; if it is aborted,
      // the session yields then.
      if (s.migration.pending != null) {
        s.migration.yieldTo = newOwner;
      }
      return;
    }
    s.epoch++;
    SessionTimers.cancel(s);
    s.closeTakenOver("the client is connected to another node");
    s.will = null;
    s.inboundQos2 = null;
    // It leaves as a confirmed move does, a QoS 2 message whose PUBREC arrived staying (the
    // client has it): what lies on disk goes a page at a time, and until the last one has, the
    // session is leaving (claims and connections here wait for it to be gone).
    Migration m = migration(s);
    m.leavingTo = newOwner;
    // The later owner's session is its own, maybe of another lineage (the client connected
    // there while this node was out of reach): what this one holds and what reaches it go there
    // naming none.
    s.lineage = 0;
    leaveInPages(s, m);
  }

  /** See {@link Session#expectRedirects}. */
  static void expectRedirects(Session s) {
    if (s.ended || s.moved || SessionEnd.isEnding(s)) {
      return;
    }
    Migration m = migration(s);
    if (m.isFrozen()) {
      // What it holds is with the hand-over, and the second copies queue behind it meanwhile:
      // the window opens over all of it if the session thaws (see thaw). If the move goes ahead,
      // the new owner's window, opened over the state it installs, takes them as they follow.
      if (m.pending != null) {
        m.redirectsOnThaw = true;
      }
      return;
    }
    openWindow(s, m, false);
  }

  /**
   * Opens the session's window for second copies over what it holds, or keeps an open one open
   * as a redirected arrival does; {@code afterFreeze}: second copies may be held already (see
   * {@link OutboundFlow#watchForSecondCopies}). Nothing is read for it: what lies only on disk
   * is checked as it comes back.
   */
  private static void openWindow(Session s, Migration m, boolean afterFreeze) {
    if (m.seen == null) {
      m.seen = window(s, List.of());
      if (s.outbound != null) {
        s.outbound.watchForSecondCopies(m.seen, afterFreeze);
      }
    } else {
      m.seen.extendFrom(s.now());
    }
  }

  /** A window for second copies opening now over {@code known} (see {@link SeenMessages}). */
  private static SeenMessages window(Session s, Collection<MessageKey> known) {
    return new SeenMessages(
        known, s.now(), s.context.redirectMillis(), s.context.lateRedirectMillis());
  }

  /** From now on what reaches this session goes to {@code newOwner}, for the redirect time. */
  private static void becomeRedirect(Session s, String newOwner) {
    Migration m = migration(s);
    m.seen = null;
    m.movedTo = newOwner;
    m.movedAt = s.now();
    s.moved = true;
    // The store keeps the redirect in the session's place (SessionPersistence#delete).
    SessionPersistence.forget(s);
    s.context.registry().movedAway(s);
    redirectFor(s, s.context.redirectMillis());
  }

  /**
   * A redirect the store kept in place of a session that moved ({@link
   * SessionStore#redirectSession}) is back after a restart, before the cluster starts: with its
   * subscriptions in the topic tree, so that a forward a peer sent here by route before the move
   * and sends again now finds it, but not advertised (see {@link Subscriptions#unadvertised}). It
   * redirects as {@link #resumeRedirect} says.
   */
  static void recoverRedirect(Session s, StoredRedirect r) {
    s.fresh = false;
    s.lineage = r.lineage();
    if (!r.subscriptions().isEmpty()) {
      s.subscriptions = Subscriptions.unadvertised(s.clientId(), s.context);
      r.subscriptions().forEach(s::enterSubscription);
    }
    Migration m = migration(s);
    m.movedTo = r.newOwner();
    m.movedAt = r.movedAtMillis();
    s.moved = true;
    s.context.registry().movedAway(s);
  }

  /**
   * A recovered redirect ({@link #recoverRedirect}) redirects for what is left of its redirect
   * time (none if the node was down longer), then until the cluster is whole: peers send it
   * again what they had not seen acknowledged once their links are back, a peer given up as dead
   * too. But never past the late-redirect time after the move: the new owner keeps
   * its window for second copies open while a peer is away only up to that time (plus twice the
   * redirect time), and what a redirect passed on after the window closed could reach the client
   * twice (it may have come by route too). False, and it ends at once, if that time is over:
   * what peers send again for the session then is dropped here, as without a store.
   */
  static boolean resumeRedirect(Session s) {
    long since = Math.max(0, s.now() - s.migration.movedAt);
    long lateLeft = s.context.lateRedirectMillis() - since;
    if (lateLeft <= 0) {
      SessionEnd.now(s);
      return false;
    }
    redirectFor(s, Math.max(0, s.context.redirectMillis() - since));
    return true;
  }

  /**
   * The redirect lasts {@code millis}, and then until the cluster is whole ({@link
   * #endRedirect}), but not past the late-redirect time after the move.
   */
  private static void redirectFor(Session s, long millis) {
    int at = ++s.epoch;
    s.expiryTimer = s.scheduleMillis(() -> endRedirect(s, at), millis);
  }

  /**
   * The redirect time is over: the redirect ends once no forward sent here before the move can
   * still arrive, checked every second, or the late-redirect time after the move. It waits for the cluster to be whole: a frozen or cut-off peer, even one given up
   * as dead, may come back within that bound and send again what it had not seen acknowledged,
   * and the new owner's window waits for it too (see {@link SeenMessages}).
   */
  private static void endRedirect(Session s, int at) {
    if (s.epoch != at || !s.moved) {
      return;
    }
    long left = s.migration.movedAt + s.context.lateRedirectMillis() - s.now();
    if (left <= 0 || s.context.cluster().wholeForMillis() != Cluster.NOT_WHOLE) {
      SessionEnd.now(s);
    } else {
      s.expiryTimer = s.scheduleMillis(
          () -> endRedirect(s, at), Math.min(left, REDIRECT_RECHECK_MILLIS));
    }
  }

  /** The hand-over failed: the session resumes here, offline, with everything it held. */
  static void aborted(Session s, HandOver h) {
    if (s.migration == null || s.migration.pending != h) {
      return;
    }
    Migration m = s.migration;
    m.pending = null;
    thaw(s, h);
    if (s.outbound != null && s.permissions.isKnown() && s.permissions.client() != null) {
      // What froze was not there to check if the permissions became known meanwhile.
      s.outbound.checkHeld(s.permissions);
    }
    s.will = h.will();
    s.epoch++;
    if (m.endIfAborted) {
      // An administrator discarded it while it was frozen.
      m.endIfAborted = false;
      SessionEnd.offline(s);
      return;
    }
    SharedRelease.queued(s);
    String yieldTo = m.yieldTo;
    m.yieldTo = null;
    if (yieldTo != null) {
      // A healed partition found the client on a later owner while this was frozen.
      answerWaiting(s, m);
      yieldTo(s, yieldTo);
      return;
    }
    // Its will goes out and it expires when they would have had it never been frozen.
    if (s.will != null) {
      SessionTimers.scheduleWill(s, h.willDueAtMillis());
    }
    SessionTimers.scheduleExpiry(s, h.expiresAtMillis());
    // Its entries never left the store, under seqs in the order the messages are back in.
    SessionPersistence.persist(s);
    answerWaiting(s, m);
  }

  /** Hand-over requests that waited while the session was frozen are answered now. */
  private static void answerWaiting(Session s, Migration m) {
    List<Migration.Request> waiting = List.copyOf(m.waiting);
    m.waiting.clear();
    if (m.isEmpty()) {
      s.migration = null;
    }
    for (Migration.Request r : waiting) {
      handOver(s, r.cleanStart(), r.result());
    }
  }

  /**
   * Puts back what froze for a hand-over that did not happen: the messages ahead of what came
   * meanwhile, the inbound QoS 2 ids, as they were (their entries never left the store). A
   * window for second copies that a healed partition asked for meanwhile opens now, over all of
   * it: the older owner's copies that queued while the session was frozen are dropped.
   */
  private static void thaw(Session s, HandOver h) {
    if (h.messages() != null) {
      s.outbound().thaw(h.messages());
    }
    if (h.inboundQos2() != null) {
      if (s.inboundQos2 == null) {
        s.inboundQos2 = h.inboundQos2();
      } else {
        s.inboundQos2.addAll(h.inboundQos2().snapshot());
      }
    }
    Migration m = s.migration;
    if (m.redirectsOnThaw) {
      m.redirectsOnThaw = false;
      openWindow(s, m, true);
    }
  }

  /**
   * Before a connection attaches: a redirect left behind by an earlier move is no session (its
   * state went away with it), and a session frozen for a hand-over either gets state back from
   * the cluster ({@code stateArrives}) or takes its own back (the hand-over did not happen as far
   * as this connection knows). Other nodes' requests that waited for the freeze to end are
   * answered "not here": this connect won against them (the claim order decided it), and their
   * connects were refused. What it takes back is put back as it froze, entries included.
   * Returns whether an administrator discarded the session while it was frozen.
   */
  static boolean settleForAttach(Session s, boolean stateArrives) {
    if (s.migration == null) {
      return false;
    }
    Migration m = s.migration;
    if (m.leavingTo != null) {
      // Leaving, handing what lies on disk on a page at a time: a connection waits for that
      // (Session.beforeAttach), so this is only the guarantee that nothing of it is lost if one
      // did not. The session leaves at once, with the rest read now on the event loop (passing
      // over what went), and is a redirect left behind like any other.
      leaveNow(s, m);
    }
    if (m.movedTo != null) {
      leaveRedirect(s);
      s.clearState();
      s.fresh = true;
    }
    if (m.pending != null && !stateArrives) {
      thaw(s, m.pending);
    }
    boolean discarded = m.endIfAborted;
    m.endIfAborted = false;
    m.redirectsOnThaw = false; // state arriving opens a window of its own (install)
    m.pending = null;
    m.yieldTo = null;
    m.dismissWaiting();
    if (m.isEmpty()) {
      s.migration = null;
    }
    return discarded;
  }

  /**
   * Whether the session is frozen for a hand-over while shared deliveries lie on disk, in its
   * frozen backlog or among what queued since: a clean start attaching here hands them to other
   * members a page at a time as they are read off the loop (see {@link Session#beforeAttach}).
   */
  static boolean frozenWithSharedOnDisk(Session s) {
    HandOver h = s.migration == null ? null : s.migration.pending;
    return h != null
        && ((h.messages() != null
                && h.messages().backlog != null
                && h.messages().backlog.shared > 0)
            || (s.outbound != null && s.outbound.sharedOnDisk()));
  }

  /** The session ends: a redirect stops, and requests waiting on a freeze get "not here". */
  static void end(Session s) {
    if (s.migration != null) {
      if (s.migration.movedTo != null) {
        leaveRedirect(s);
      }
      s.migration.dismissWaiting();
      s.migration = null;
    }
  }

  /** A redirect is over, or a connection attaches to it: it is an ordinary session again. */
  private static void leaveRedirect(Session s) {
    s.migration.movedTo = null;
    if (s.moved) {
      s.moved = false;
      s.context.registry().movedBack(s);
      SessionPersistence.redirectEnded(s);
    }
  }

  private static Migration migration(Session s) {
    if (s.migration == null) {
      s.migration = new Migration();
    }
    return s.migration;
  }

  /** The session's state as it freezes, each piece giving its part; {@code frozen} the messages. */
  private static SessionSnapshot snapshot(Session s, FrozenOutbound frozen) {
    SeenMessages seen = s.migration == null ? null : s.migration.seen;
    return new SessionSnapshot(
        s.subscriptions == null ? Map.of() : s.subscriptions.snapshot(),
        frozen == null ? OutboundState.EMPTY : frozen.state(),
        s.inboundQos2 == null ? Set.of() : s.inboundQos2.snapshot(),
        s.expiryInterval,
        seen == null || seen.isOver(s.now(), s.context.cluster()) ? List.of() : seen.keys(),
        s.lineage,
        null);
  }

  /**
   * As a connection attaches with state another node handed over: what queued here while the
   * session was frozen for a hand-over (see {@link #install}), taken before the freeze is
   * settled; nothing when it was not frozen.
   */
  static Collection<Delivery> arrivedWhileFrozen(Session s, SessionSnapshot handedOver) {
    return handedOver != null && s.migration != null && s.migration.pending != null
            && s.outbound != null
        ? s.outbound.takeQueued(s.clientId(), null)
        : List.of();
  }

  /**
   * Takes on the state another node handed over as a connection attaches (the session is
   * clear), then what queued here meanwhile while it was frozen ({@code arrivedWhileFrozen}),
   * behind it, unless the state held it already.
   */
  static void install(
      Session s, SessionSnapshot state, Collection<Delivery> arrivedWhileFrozen) {
    restore(s, state);
    for (Delivery d : arrivedWhileFrozen) {
      if (s.migration.seen.firstTime(d)) {
        s.outbound.requeue(d);
      }
    }
  }

  /**
   * Takes on the state another node handed over, each piece its part; messages sent to the old
   * node before the routes moved may now come here twice, so what it holds counts as seen while
   * the window is open (see {@link SeenMessages}).
   */
  private static void restore(Session s, SessionSnapshot state) {
    s.lineage = state.lineage();
    state.subscriptions().forEach(s::enterSubscription);
    s.outbound().restore(state.outbound());
    if (state.backlog() != null) {
      s.outbound.restoreBacklog(state.backlog());
    }
    if (!state.inboundQos2().isEmpty()) {
      s.inboundQos2 = new InboundQos2(state.inboundQos2());
    }
    List<MessageKey> known = new ArrayList<>(state.seen());
    state.inflight().forEach(f -> know(known, f.delivery()));
    state.queued().forEach(d -> know(known, d));
    migration(s).seen = window(s, known);
  }

  /** Adds {@code d}'s key to {@code known} if a second copy of it can come (see SeenMessages). */
  private static void know(List<MessageKey> known, Delivery d) {
    if (SeenMessages.isKnownByKey(d)) {
      known.add(MessageKey.of(d));
    }
  }

  /**
   * Whether a delivery reaching a session with a {@link Migration} is for this session here: not
   * moved on (then it is redirected), and not a second copy (then it is dropped, counted).
   */
  static boolean admit(Session s, Delivery d, int hops, DeliveryReceipt receipt) {
    Migration m = s.migration;
    if (m.movedTo != null) {
      redirect(s, m.movedTo, d, hops, receipt);
      return false;
    }
    if (m.seen == null) {
      return true;
    }
    if (hops > 0) {
      // The old node still redirects (it waits for peers that were away): so may others.
      m.seen.extendFrom(s.now());
    }
    if (m.seen.isOver(s.now(), s.context.cluster())) {
      m.seen = null;
      if (m.isEmpty()) {
        s.migration = null;
      }
      return true;
    }
    if (d.qos() > 0 && s.outbound != null && s.outbound.checksOnDisk(m.seen)) {
      return true; // checked behind what is on disk, as it comes back from there
    }
    if (!m.seen.firstTime(d)) {
      s.context.metrics().dropped(DropReason.DUPLICATE);
      return false;
    }
    return true;
  }

  /** See {@link Session#takeBack}. */
  static void takeBack(Session s, Delivery d) {
    Migration m = s.migration;
    if (m != null && m.seen != null) {
      m.seen.forget(d);
    }
  }

  private static void redirect(
      Session s, String to, Delivery d, int hops, DeliveryReceipt receipt) {
    if (hops >= MAX_REDIRECT_HOPS) {
      s.context.metrics().dropped(DropReason.REDIRECT_LOOP);
      return;
    }
    // The session it moved to is of its lineage (a hand-over carries it).
    if (!s.context.cluster().redirect(to, s.clientId(), d, hops + 1, s.lineage, receipt)) {
      s.context.metrics().dropped(DropReason.NO_LINK);
    }
  }
}

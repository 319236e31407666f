package io.simqtt.core.session;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The packet ids of inbound QoS 2 messages a session accepted (answered PUBREC) whose PUBREL has
 * not arrived: a resend of one is answered again but not routed again, and at most the node's
 * Receive Maximum of them are open at once. A session makes its table on the first inbound QoS 2
 * message (most never get one) and keeps it. Confined to its session's tasks.
 *
 * <p>In durable mode an id is <em>unsettled</em> from its admission until the first copy's
 * PUBREC may go out (its deliveries and the id are durable): a resend meanwhile, on a new
 * connection, is answered only then, or the client could finish the message with PUBREL and
 * PUBCOMP while a crash would still lose it.
 */
public final class InboundQos2 {
  /** What becomes of an inbound QoS 2 PUBLISH. */
  public enum Admission {
    /** A new id, recorded: route the message and answer PUBREC. */
    NEW,
    /** An id awaiting PUBREL: a resend of a message already routed, answer PUBREC again. */
    RESEND,
    /** As many ids as Receive Maximum allows are open: refuse (0x93), recording nothing. */
    OVER_QUOTA
  }

  /** What a PUBREL did to the ids. */
  public enum Release {
    /** The id was not open: PUBCOMP 0x92. */
    UNKNOWN,
    /** The id is released: PUBCOMP now. */
    RELEASED,
    /**
     * The id is released and its removal written to the store: PUBCOMP once that is durable, or
     * after a crash the client, done with the id, reuses it for a new message that the restarted
     * node takes for a resend and drops.
     */
    WRITTEN
  }

  private final Set<Integer> ids = new HashSet<>();
  /** Unsettled ids, each with the answers to resends waiting for it; null when none. */
  private Map<Integer, List<Runnable>> unsettled;
  /** What waits for no id to be unsettled ({@link #whenAllSettled}); null when nothing. */
  private List<Runnable> allSettled;

  InboundQos2() {}

  InboundQos2(Collection<Integer> open) {
    ids.addAll(open);
  }

  /**
   * Records {@code packetId} unless it is open already or {@code receiveMaximum} ids are: a
   * refused PUBLISH is not remembered, so its resend is not taken for a duplicate.
   */
  Admission admit(int packetId, int receiveMaximum) {
    if (ids.contains(packetId)) {
      return Admission.RESEND;
    }
    if (ids.size() >= receiveMaximum) {
      return Admission.OVER_QUOTA;
    }
    ids.add(packetId);
    return Admission.NEW;
  }

  /** Whether {@code packetId} awaits PUBREL. */
  boolean contains(int packetId) {
    return ids.contains(packetId);
  }

  /** PUBREL arrived; false when the id was not open. */
  boolean release(int packetId) {
    return ids.remove(packetId);
  }

  /**
   * {@code packetId}, just admitted, is unsettled until the returned action runs (as a session
   * task, once its first copy may be answered); the action settles this admission only, not a
   * later one of the same id.
   */
  Unsettled unsettle(int packetId) {
    if (unsettled == null) {
      unsettled = new HashMap<>();
    }
    Unsettled u = new Unsettled(this, packetId, new ArrayList<>(1));
    unsettled.put(packetId, u.waiting);
    return u;
  }

  /** One admission of an id, unsettled until it runs (which settles it if it still is). */
  public static final class Unsettled implements Runnable {
    private final InboundQos2 table;
    private final int packetId;
    /** The answers waiting for this admission; its identity tells it from a later one. */
    private final List<Runnable> waiting;

    private Unsettled(InboundQos2 table, int packetId, List<Runnable> waiting) {
      this.table = table;
      this.packetId = packetId;
      this.waiting = waiting;
    }

    @Override
    public void run() {
      table.settle(packetId, waiting);
    }

    /** Whether {@code current} is the table that admitted this and it is still unsettled. */
    boolean heldBy(InboundQos2 current) {
      return current == table && table.unsettled != null
          && table.unsettled.get(packetId) == waiting;
    }
  }

  private void settle(int packetId, List<Runnable> waiting) {
    if (unsettled == null || !unsettled.remove(packetId, waiting)) {
      return;
    }
    if (unsettled.isEmpty()) {
      unsettled = null;
    }
    waiting.forEach(Runnable::run);
    if (unsettled == null && allSettled != null) {
      List<Runnable> due = allSettled;
      allSettled = null;
      due.forEach(Runnable::run);
    }
  }

  /** Whether an admitted id waits for its first copy to be durable. */
  boolean hasUnsettled() {
    return unsettled != null;
  }

  /** Runs {@code then} once no id is unsettled: at once if none is. */
  void whenAllSettled(Runnable then) {
    if (unsettled == null) {
      then.run();
      return;
    }
    if (allSettled == null) {
      allSettled = new ArrayList<>(1);
    }
    allSettled.add(then);
  }

  /**
   * Runs {@code answer} (a resend's PUBREC) when {@code packetId} is settled: at once if it is,
   * else when it becomes so.
   */
  void whenSettled(int packetId, Runnable answer) {
    List<Runnable> waiting = unsettled == null ? null : unsettled.get(packetId);
    if (waiting == null) {
      answer.run();
    } else {
      waiting.add(answer);
    }
  }

  /** Adds ids that were open before (a hand-over that did not happen gives them back). */
  void addAll(Collection<Integer> open) {
    ids.addAll(open);
  }

  /** This table's part of the session's state. */
  Set<Integer> snapshot() {
    return Set.copyOf(ids);
  }
}

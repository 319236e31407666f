package io.simqtt.core.cluster;

import io.simqtt.core.session.SessionSnapshot;

/**
 * The answer of the cluster to a connecting client's claim.
 *
 * @param outcome what the other nodes did
 * @param state the session handed over, or null (none existed, or clean start)
 * @param stamp when this node's ownership of the session begins (hybrid clock of the claim), 0 on
 *     a single node: when a healed partition finds the client on two nodes, the later owner keeps
 *     it
 * @param attached the broker runs this once the connection is attached to its session (as a task
 *     of the session): until then a later claim from another node must wait, or it would find no
 *     connection to take over
 * @param refused the broker runs this instead when it refuses the connect after all (this node
 *     holds {@code mqtt.sessions.max-sessions}): nothing will attach, so later claims from other
 *     nodes go ahead at once
 */
public record ClaimResult(
    Outcome outcome, SessionSnapshot state, long stamp, Runnable attached, Runnable refused) {
  private static final Runnable NOTHING = () -> {};

  public static final ClaimResult NONE =
      new ClaimResult(Outcome.NONE, null, 0, NOTHING, NOTHING);
  public static final ClaimResult REFUSED =
      new ClaimResult(Outcome.REFUSED, null, 0, NOTHING, NOTHING);
  public static final ClaimResult UNAVAILABLE =
      new ClaimResult(Outcome.UNAVAILABLE, null, 0, NOTHING, NOTHING);

  /** What the other nodes did with the claim. */
  public enum Outcome {
    /** No other node held the client. */
    NONE,
    /** Another node disconnected the client; {@code state} holds its session unless clean start. */
    HANDED_OVER,
    /** A concurrent connect for the same client on another node wins: refuse this one. */
    REFUSED,
    /**
     * A linked peer did not answer in time and nobody handed the session over: the silent peer
     * may hold it, so the connect is refused (0x88) instead of starting a fresh session.
     */
    UNAVAILABLE
  }
}

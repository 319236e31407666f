package io.simqtt.core.cluster;

import io.simqtt.core.session.SessionSnapshot;

/**
 * The answer of the cluster to a connecting client's claim.
 *
 * @param outcome what the other nodes did
 * @param state the session handed over, or null (none existed, or clean start)
 */
public record ClaimResult(Outcome outcome, SessionSnapshot state) {
  public static final ClaimResult NONE = new ClaimResult(Outcome.NONE, null);

  /** What the other nodes did with the claim. */
  public enum Outcome {
    /** No other node held the client. */
    NONE,
    /** Another node disconnected the client; {@code state} holds its session unless clean start. */
    HANDED_OVER,
    /** A concurrent connect for the same client on another node wins: refuse this one. */
    REFUSED
  }
}

package io.simqtt.core.metrics;

/** Why a message was not delivered to one subscriber. */
public enum DropReason {
  /** The session queue was at its bound on messages ({@code mqtt.sessions.max-queued-messages}). */
  QUEUE_FULL,
  /** The session queue was at its bound on bytes ({@code mqtt.sessions.max-queued-bytes}). */
  QUEUE_BYTES_FULL,
  /** The Message Expiry Interval passed before delivery started. */
  EXPIRED,
  /** Larger than the subscriber's Maximum Packet Size. */
  TOO_LARGE,
  /** QoS 0 for a subscriber that is offline or whose socket buffer is full. */
  QOS0_NOT_DELIVERABLE,
  /**
   * A message matched no subscription at all, or a shared-subscription delivery that its member
   * let go (or that was redirected to a member whose session is gone) found no other member of
   * its group.
   */
  NO_SUBSCRIBERS,
  /** The session ended (expired, kicked, clean start elsewhere) just as the message reached it. */
  SESSION_ENDED,
  /**
   * A second copy of a message that reached a session just after it moved between nodes, both
   * directly and redirected from its old node; the first copy was delivered.
   */
  DUPLICATE,
  /** Redirected between nodes more often than a session can move: the nodes disagree. */
  REDIRECT_LOOP,
  /**
   * Redirected to a node this one has no link to (it left the cluster), or whose link is closed
   * (this node is stopping). A stored session keeps the entry it passed on, and a peer's frame
   * is not acknowledged while stopping: the message is dropped here, not lost.
   */
  NO_LINK,
  /**
   * Redirected to a node that has no such session any more, or whose session is of another
   * lineage (a clean start replaced the one it was for); a shared-subscription delivery goes
   * to another member of its group instead.
   */
  SESSION_GONE,
  /**
   * Not allowed by the access rules: a PUBLISH the client may not make (QoS 1/2 publishers are
   * told with 0x87), or a delivery to a subscriber that may not read the topic.
   */
  NOT_AUTHORIZED
}

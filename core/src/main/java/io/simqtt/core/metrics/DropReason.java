package io.simqtt.core.metrics;

/** Why a message was not delivered to one subscriber. */
public enum DropReason {
  /** The session queue was at its bound. */
  QUEUE_FULL,
  /** The Message Expiry Interval passed before delivery started. */
  EXPIRED,
  /** Larger than the subscriber's Maximum Packet Size. */
  TOO_LARGE,
  /** QoS 0 for a subscriber that is offline or whose socket buffer is full. */
  QOS0_NOT_DELIVERABLE,
  /** A message matched no subscription at all. */
  NO_SUBSCRIBERS
}

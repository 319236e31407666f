package io.simqtt.config;

import java.time.Duration;

/**
 * How retained messages are kept.
 *
 * @param tombstoneRetention how long a clear or an expiry of a retained message is remembered (a
 *     tombstone), so that an older write arriving late from another node cannot bring the message
 *     back
 * @param maxTombstones at most this many tombstones are kept; beyond it the oldest are forgotten
 *     before their retention ends, and that is counted
 */
public record RetainedSettings(Duration tombstoneRetention, int maxTombstones) {

  /** The defaults of reference.conf, for settings built in code. */
  public static final RetainedSettings DEFAULT =
      new RetainedSettings(Duration.ofHours(24), 100_000);
}

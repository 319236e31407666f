package io.simqtt.core.protocol;

import io.simqtt.core.metrics.BrokerMetrics;

/**
 * What an accepted CONNECT waits for before its CONNACK, each for {@code
 * mqtt.limits.connect-timeout} at most: past it the wait is given up, so that what it waited for
 * changes nothing, and the client gets CONNACK 0x88 (3.1.1: 3, Server unavailable: it may try
 * again), counted by what it waited for.
 */
enum ConnectWait {
  /** The authenticators and authorizers (a plug-in that hangs rather than fails). */
  CHECK("auth_check_timeout", "its credential check",
      "the credential check did not end in time; try again") {
    @Override
    void count(BrokerMetrics m) {
      m.authCheckGivenUp();
    }
  },
  /** The cluster's answer to its claim of the session (a large session still arriving). */
  CLAIM("claim_timeout", "the cluster's answer to its session claim",
      "the cluster did not settle this client's session in time; try again") {
    @Override
    void count(BrokerMetrics m) {
      m.claimGivenUp();
    }
  },
  /** Its session's read of the disk (a store whose reads keep failing). */
  SESSION_READ("session_read_timeout", "its session's read of the disk",
      "the session's stored messages could not be read in time; try again") {
    @Override
    void count(BrokerMetrics m) {
      m.attachGivenUp();
    }
  };

  /** The reason in the log line. */
  final String logReason;
  /** What was waited for, in the log line. */
  final String what;
  /** The reason string the client gets. */
  final String told;

  ConnectWait(String logReason, String what, String told) {
    this.logReason = logReason;
    this.what = what;
    this.told = told;
  }

  abstract void count(BrokerMetrics m);
}

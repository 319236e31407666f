package io.simqtt.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Who may connect and what clients may do: where credentials and access rules come from, and
 * what a failed attempt costs.
 *
 * @param passwordFile a Mosquitto password file (mosquitto_passwd, bin/passwd.sh); null for none
 * @param aclFile a Mosquitto ACL file; null for none (every client may do everything)
 * @param failureDelay how long a refused CONNECT from an address waits for its CONNACK the first
 *     time; it doubles with each further failure from that address
 * @param maxFailureDelay the most a refused CONNECT waits
 * @param threads threads that check passwords off the event loops
 * @param maxPending CONNECTs waiting for those threads; beyond it they are refused with 0x89
 */
public record AuthSettings(
    Path passwordFile,
    Path aclFile,
    Duration failureDelay,
    Duration maxFailureDelay,
    int threads,
    int maxPending) {

  /** The defaults of reference.conf: no password file. */
  public static final AuthSettings DEFAULT =
      new AuthSettings(null, null, Duration.ofMillis(250), Duration.ofSeconds(10), 2, 10_000);

  /** Whether a file is configured (else every CONNECT is decided on the spot). */
  public boolean checksClients() {
    return passwordFile != null || aclFile != null;
  }
}

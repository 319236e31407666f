package io.simqtt.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

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
 * @param pluginDir a directory of plug-in jars (authenticators and authorizers found with
 *     ServiceLoader); null for none
 * @param chain the authenticators and authorizers by name, in the order they are asked; empty
 *     for the built-ins that are configured (password-file, then acl-file)
 * @param reloadOnChange whether the files are re-read when they change on disk
 * @param reloadDelay how long the files must stay unchanged before they are re-read
 * @param recoveryWait how long a restart in durable mode waits, at most, for the authorizers'
 *     answers about the stored sessions' clients (asked {@code threads} at a time) before it goes
 *     on; the sessions not answered by then start with unknown permissions, asked for again in
 *     the background
 * @param retryWait how long those background retries wait, at most, for the answer about one
 *     client: a question not answered by then is interrupted and given up (counted), and the
 *     client asked again in a later round after the others
 */
public record AuthSettings(
    Path passwordFile,
    Path aclFile,
    Duration failureDelay,
    Duration maxFailureDelay,
    int threads,
    int maxPending,
    Path pluginDir,
    List<String> chain,
    boolean reloadOnChange,
    Duration reloadDelay,
    Duration recoveryWait,
    Duration retryWait) {

  /** The name of the built-in password file authenticator in {@link #chain}. */
  public static final String PASSWORD_FILE = "password-file";
  /** The name of the built-in ACL file authorizer in {@link #chain}. */
  public static final String ACL_FILE = "acl-file";

  /** The defaults of reference.conf: no password file. */
  public static final AuthSettings DEFAULT = new AuthSettings(null, null, Duration.ofMillis(250),
      Duration.ofSeconds(10), 2, 10_000, null, List.of(), true, Duration.ofMillis(500),
      Duration.ofSeconds(10), Duration.ofSeconds(10));

  public AuthSettings {
    chain = List.copyOf(chain);
  }

  /** Whether anything checks clients (else every CONNECT is decided on the spot). */
  public boolean checksClients() {
    return passwordFile != null || aclFile != null || !chain.isEmpty();
  }

  /** The names asked, in order: {@link #chain}, or the built-ins configured when it is empty. */
  public List<String> effectiveChain() {
    if (!chain.isEmpty()) {
      return chain;
    }
    if (passwordFile != null && aclFile != null) {
      return List.of(PASSWORD_FILE, ACL_FILE);
    }
    return passwordFile != null ? List.of(PASSWORD_FILE)
        : aclFile != null ? List.of(ACL_FILE) : List.of();
  }
}

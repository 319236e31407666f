package io.simqtt.core.auth;

import java.util.List;

/**
 * What one client may do, from every authorizer: the first that answers decides, and an action
 * no authorizer answers is refused. {@link #ALL} when no authorizer is configured.
 *
 * <p>One object per client for as long as its session lasts, shared by its connection and its
 * session. When the rules are reloaded, {@link #adopt} swaps what it holds in place (see {@code
 * PermissionRetries#refreshAll}), so a connected client's next publish, subscription or delivery follows the new rules
 * and a check costs one volatile read more than with fixed rules, nothing per message besides.
 */
public final class Permissions {
  /** No authorizer configured: everything a client may do by the protocol. */
  public static final Permissions ALL = new Permissions(null, List.of(), 0, true);

  private final ClientIdentity client;
  /** False when an authorizer failed to answer for the client: it may do nothing, for good. */
  private final boolean known;
  private volatile Resolved resolved;

  /** The authorizers' answers for this client, from the rules of {@code generation}. */
  private record Resolved(List<ClientAccess> chain, long generation) {}

  private Permissions(
      ClientIdentity client, List<ClientAccess> chain, long generation, boolean known) {
    this.client = client;
    this.known = known;
    this.resolved = new Resolved(chain, generation);
  }

  static Permissions of(ClientIdentity client, List<ClientAccess> chain, long generation) {
    return new Permissions(client, List.copyOf(chain), generation, true);
  }

  /**
   * For a client whose rules could not be asked (an authorizer failed, or did not answer in
   * time): it may do nothing, and a reload does not change that; whoever holds it asks again for
   * a new object (see {@code PermissionRetries} for a session recovered from the store). No
   * connection holds such permissions, so their generation is never compared.
   */
  public static Permissions unknown(ClientIdentity client) {
    return new Permissions(client, List.of(), 0, false);
  }

  /** Whether the authorizers answered for the client (false: see {@link #unknown}). */
  public boolean isKnown() {
    return known;
  }

  public boolean allows(Action action, String topic, int qos, boolean retain) {
    if (client == null) {
      return true;
    }
    for (ClientAccess access : resolved.chain()) {
      Access a = access.check(action, topic, qos, retain);
      if (a != Access.NOT_MINE) {
        return a == Access.ALLOW;
      }
    }
    return false;
  }

  public boolean mayReceive(String topic, int qos) {
    return allows(Action.RECEIVE, topic, qos, false);
  }

  /**
   * Who the rules were resolved for; null for {@link #ALL}. A stored session keeps it, so its
   * permissions are resolved again after a restart.
   */
  public ClientIdentity client() {
    return client;
  }

  /** The generation of the rules in force for this client. */
  long generation() {
    return resolved.generation();
  }

  /**
   * From now on the client follows what {@code answer} holds, the authorizers' answer for it
   * under newer rules, unless rules as new are already in place (two refreshes racing: the newer
   * rules win, whichever finishes last). Returns whether it changed.
   */
  public synchronized boolean adopt(Permissions answer) {
    Resolved newer = answer.resolved;
    if (client == null || !known || !answer.known || answer.client == null
        || newer.generation() <= resolved.generation()) {
      return false;
    }
    resolved = newer;
    return true;
  }
}

package io.simqtt.core.auth;

import java.util.List;

/**
 * What one connected client may do, from every authorizer: the first that answers decides, and
 * an action no authorizer answers is refused. {@link #ALL} when no authorizer is configured.
 */
public final class Permissions {
  /** No authorizer configured: everything a client may do by the protocol. */
  public static final Permissions ALL = new Permissions(List.of());

  private final List<ClientAccess> chain;

  private Permissions(List<ClientAccess> chain) {
    this.chain = chain;
  }

  static Permissions of(List<ClientAccess> chain) {
    return new Permissions(List.copyOf(chain));
  }

  public boolean allows(Action action, String topic, int qos, boolean retain) {
    if (this == ALL) {
      return true;
    }
    for (ClientAccess access : chain) {
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
}

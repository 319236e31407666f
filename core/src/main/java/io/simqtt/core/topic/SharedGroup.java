package io.simqtt.core.topic;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One shared subscription ($share/group/filter) and its current members. The same instance stands
 * for the (group, filter) for as long as it has members, so the broker may key state on it.
 */
public final class SharedGroup {
  private final String group;
  private final String filter;
  /**
   * Built once: every delivery the group routes carries it, and a session's window of second
   * copies keeps it in its keys (one string per group, not per message).
   */
  private final String shareName;
  private final AtomicInteger next = new AtomicInteger();
  /** Immutable, replaced on change (under the tree node's lock) so reads need no copy. */
  private volatile List<Member> members = List.of();

  /** One member of the group. */
  public record Member(String clientId, SubscriptionOptions options) {}

  SharedGroup(String group, String filter) {
    this.group = group;
    this.filter = filter;
    this.shareName = Topics.SHARE_PREFIX + group + '/' + filter;
  }

  public String group() {
    return group;
  }

  /** The filter without the $share/group/ prefix. */
  public String filter() {
    return filter;
  }

  /** "$share/group/filter" as the client subscribed it. */
  public String shareName() {
    return shareName;
  }

  /** Snapshot of members in subscription order: (clientId, options). Immutable. */
  public List<Member> members() {
    return members;
  }

  /** Next index for round robin over members().size(), thread-safe; 0 when size &lt;= 0. */
  public int nextIndex(int size) {
    if (size <= 0) {
      return 0;
    }
    return (next.getAndIncrement() & Integer.MAX_VALUE) % size;
  }

  /** Adds or replaces (keeping its place); returns the replaced options or null. */
  SubscriptionOptions put(String clientId, SubscriptionOptions options) {
    List<Member> current = members;
    List<Member> copy = new ArrayList<>(current.size() + 1);
    SubscriptionOptions old = null;
    for (Member m : current) {
      if (m.clientId().equals(clientId)) {
        old = m.options();
        copy.add(new Member(clientId, options));
      } else {
        copy.add(m);
      }
    }
    if (old == null) {
      copy.add(new Member(clientId, options));
    }
    members = List.copyOf(copy);
    return old;
  }

  boolean remove(String clientId) {
    List<Member> current = members;
    List<Member> copy = new ArrayList<>(current.size());
    for (Member m : current) {
      if (!m.clientId().equals(clientId)) {
        copy.add(m);
      }
    }
    if (copy.size() == current.size()) {
      return false;
    }
    members = List.copyOf(copy);
    return true;
  }

  @Override
  public String toString() {
    return shareName() + members;
  }
}

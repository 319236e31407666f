package io.simqtt.core.topic;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * All subscriptions of the broker, indexed by filter level so a match only visits filters that can
 * match. {@link #match} is lock-free and may run on any number of threads while others subscribe
 * and unsubscribe; each (client, filter) change is atomic. See {@link LevelTrie} for why pruning
 * cannot lose a concurrent subscription.
 *
 * <p>Filters must be validated by the caller ({@link Topics#isValidFilter}); shared subscriptions
 * are stored under their inner filter, one {@link SharedGroup} per group.
 */
public final class SubscriptionTree {
  final LevelTrie<Subscribers> trie = new LevelTrie<>();
  private final AtomicInteger subscriptions = new AtomicInteger();
  private final AtomicInteger filters = new AtomicInteger();

  /**
   * Adds or replaces clientId's subscription to filter (filter may be "$share/g/f"; validated by
   * the caller). Returns the options it replaced, or null if new.
   *
   * @throws IllegalArgumentException for a malformed $share filter
   */
  public SubscriptionOptions subscribe(
      String clientId, String filter, SubscriptionOptions options) {
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(options, "options");
    SharedFilter share = Topics.parseShared(filter);
    String key = share == null ? filter : share.filter();
    return trie.update(
        key,
        true,
        node -> {
          Subscribers s = node.value();
          if (s == null) {
            s = new Subscribers();
            node.setValue(s);
          }
          int before = s.filterCount();
          SubscriptionOptions old =
              share == null
                  ? s.putDirect(new Matches.Entry(clientId, filter, options))
                  : s.putShared(share, clientId, options);
          if (old == null) {
            subscriptions.incrementAndGet();
          }
          filters.addAndGet(s.filterCount() - before);
          return old;
        });
  }

  /** Removes it; false if clientId had no such subscription (or the filter is a malformed share). */
  public boolean unsubscribe(String clientId, String filter) {
    SharedFilter share;
    try {
      share = Topics.parseShared(filter);
    } catch (IllegalArgumentException e) {
      return false; // could never have been subscribed
    }
    String key = share == null ? filter : share.filter();
    Boolean removed =
        trie.update(
            key,
            false,
            node -> {
              Subscribers s = node.value();
              if (s == null) {
                return false;
              }
              int before = s.filterCount();
              boolean done =
                  share == null ? s.removeDirect(clientId) : s.removeShared(share.group(), clientId);
              if (done) {
                subscriptions.decrementAndGet();
                filters.addAndGet(s.filterCount() - before);
                if (s.isEmpty()) {
                  node.setValue(null); // lets the trie prune the node
                }
              }
              return done;
            });
    return removed != null && removed;
  }

  /** Everything matching a topic name; {@link Matches#EMPTY} when nothing does. */
  public Matches match(String topic) {
    Collector c = new Collector();
    trie.matchTopic(topic, c);
    return c.result();
  }

  /** All subscriptions incl. shared members. */
  public int subscriptionCount() {
    return subscriptions.get();
  }

  /** Distinct filters with at least one subscriber (shared counted per group+filter). */
  public int filterCount() {
    return filters.get();
  }

  /** Trie nodes below the root, for leak tests. */
  int nodeCount() {
    return trie.nodeCount();
  }

  /**
   * Gathers what matches and is the result, allocating as little as a match needs: nothing more
   * than itself for a miss (then {@link Matches#EMPTY} is returned), and for one direct match (most
   * topics) an immutable one-element list rather than a list and its array; a list to add to is
   * made only for the second.
   */
  private static final class Collector implements Consumer<Subscribers>, Matches {
    private Matches.Entry first;
    /** Every direct match, once there are two or more. */
    private List<Matches.Entry> direct;
    private List<SharedGroup> shared;

    @Override
    public void accept(Subscribers s) {
      Subscribers.View v = s.direct;
      Matches.Entry[] a = v.entries();
      for (int i = 0, n = v.count(); i < n; i++) {
        Matches.Entry e = a[i];
        if (e != null) {
          addDirect(e);
        }
      }
      for (SharedGroup g : s.groups) {
        if (shared == null) {
          shared = new ArrayList<>(2);
        }
        shared.add(g);
      }
    }

    private void addDirect(Matches.Entry e) {
      if (first == null) {
        first = e;
        return;
      }
      if (direct == null) {
        direct = new ArrayList<>(4);
        direct.add(first);
      }
      direct.add(e);
    }

    Matches result() {
      return first == null && shared == null ? Matches.EMPTY : this;
    }

    @Override
    public List<Matches.Entry> direct() {
      return direct != null ? direct : first != null ? List.of(first) : List.of();
    }

    @Override
    public List<SharedGroup> shared() {
      return shared == null ? List.of() : shared;
    }

    @Override
    public boolean isEmpty() {
      return first == null && shared == null;
    }
  }
}

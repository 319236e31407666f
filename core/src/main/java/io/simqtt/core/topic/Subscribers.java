package io.simqtt.core.topic;

import java.util.Arrays;
import java.util.HashMap;

/**
 * The subscriptions on one filter node. Mutated only under the node's lock; read lock-free.
 *
 * <p>Direct entries sit in an append-only array with null holes rather than a copy-on-write array,
 * so that thousands of clients subscribing to one filter cost O(1) each, not O(n). Readers see a
 * {@link View}: slots below its count are never reused for another entry while the array is live;
 * compaction and growth build a new array.
 */
final class Subscribers {
  /** Above this many direct entries a client id index replaces the linear scan. */
  private static final int INDEX_ABOVE = 8;

  private static final SharedGroup[] NO_GROUPS = new SharedGroup[0];
  private static final View NO_ENTRIES = new View(new Matches.Entry[0], 0);

  record View(Matches.Entry[] entries, int count) {}

  volatile View direct = NO_ENTRIES;
  volatile SharedGroup[] groups = NO_GROUPS;

  // writer state, guarded by the node lock
  private int live;
  private int holes;
  private HashMap<String, Integer> index;

  boolean isEmpty() {
    return live == 0 && groups.length == 0;
  }

  /** Filters this node accounts for: the plain filter if it has entries, plus each group. */
  int filterCount() {
    return (live > 0 ? 1 : 0) + groups.length;
  }

  SubscriptionOptions putDirect(Matches.Entry entry) {
    View v = direct;
    int pos = find(v, entry.clientId());
    if (pos >= 0) {
      SubscriptionOptions old = v.entries()[pos].options();
      v.entries()[pos] = entry;
      direct = new View(v.entries(), v.count()); // republish for visibility
      return old;
    }
    Matches.Entry[] a = v.entries();
    int count = v.count();
    if (count == a.length) {
      a = compact(v, Math.max(4, live * 2));
      count = live;
    }
    a[count] = entry;
    if (index != null) {
      index.put(entry.clientId(), count);
    }
    live++;
    direct = new View(a, count + 1);
    if (index == null && live > INDEX_ABOVE) {
      buildIndex();
    }
    return null;
  }

  boolean removeDirect(String clientId) {
    View v = direct;
    int pos = find(v, clientId);
    if (pos < 0) {
      return false;
    }
    live--;
    if (index != null) {
      index.remove(clientId);
    }
    if (live == 0) {
      direct = NO_ENTRIES;
      holes = 0;
      index = null;
      return true;
    }
    v.entries()[pos] = null;
    holes++;
    if (holes > live) {
      Matches.Entry[] a = compact(v, Math.max(4, live * 2));
      direct = new View(a, live);
    } else {
      direct = new View(v.entries(), v.count());
    }
    return true;
  }

  SubscriptionOptions putShared(SharedFilter share, String clientId, SubscriptionOptions options) {
    SharedGroup g = group(share.group());
    if (g == null) {
      g = new SharedGroup(share.group(), share.filter());
      SharedGroup[] a = Arrays.copyOf(groups, groups.length + 1);
      a[a.length - 1] = g;
      groups = a;
    }
    return g.put(clientId, options);
  }

  boolean removeShared(String group, String clientId) {
    SharedGroup g = group(group);
    if (g == null || !g.remove(clientId)) {
      return false;
    }
    if (g.members().isEmpty()) {
      SharedGroup[] a = new SharedGroup[groups.length - 1];
      int i = 0;
      for (SharedGroup x : groups) {
        if (x != g) {
          a[i++] = x;
        }
      }
      groups = a;
    }
    return true;
  }

  private SharedGroup group(String name) {
    for (SharedGroup g : groups) {
      if (g.group().equals(name)) {
        return g;
      }
    }
    return null;
  }

  private int find(View v, String clientId) {
    if (index != null) {
      Integer pos = index.get(clientId);
      return pos == null ? -1 : pos;
    }
    Matches.Entry[] a = v.entries();
    for (int i = 0; i < v.count(); i++) {
      if (a[i] != null && a[i].clientId().equals(clientId)) {
        return i;
      }
    }
    return -1;
  }

  /** New array holding the live entries first; the old one stays intact for readers. */
  private Matches.Entry[] compact(View v, int capacity) {
    Matches.Entry[] a = new Matches.Entry[capacity];
    int n = 0;
    for (int i = 0; i < v.count(); i++) {
      Matches.Entry e = v.entries()[i];
      if (e != null) {
        a[n++] = e;
      }
    }
    holes = 0;
    if (index != null) {
      if (live > INDEX_ABOVE) {
        index.clear();
        for (int i = 0; i < n; i++) {
          index.put(a[i].clientId(), i);
        }
      } else {
        index = null;
      }
    }
    return a;
  }

  private void buildIndex() {
    View v = direct;
    index = new HashMap<>();
    for (int i = 0; i < v.count(); i++) {
      Matches.Entry e = v.entries()[i];
      if (e != null) {
        index.put(e.clientId(), i);
      }
    }
  }
}

package io.simqtt.core.topic;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A trie with one node per topic level, the single place that walks levels for both subscriptions
 * (keys are filters, {@link #matchTopic}) and retained messages (keys are topic names, {@link
 * #matchFilter}).
 *
 * <p>Concurrency: reads are lock-free (volatile fields, child tables published with release/acquire)
 * and allocate nothing. Writers lock one node at a time, except pruning, which locks a parent then
 * its child, so lock order always goes from the root down and cannot deadlock. A pruned node is
 * marked dead under both locks; a writer that finds a dead node starts over from the root, so a
 * concurrent write under a node being pruned is never lost. Invariant: a node that is not dead is
 * attached to a parent that is not dead.
 *
 * <p>Recursion depth is the number of levels: callers must bound it (validate maxLevels).
 *
 * @param <V> the value kept at a node; null means none
 */
public final class LevelTrie<V> {
  private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Node[].class);
  /** Marks a removed slot so probing goes on past it. */
  private static final Node<?> TOMBSTONE = new Node<>(null, "");

  private static final int MIN_TABLE = 4;

  private final Node<V> root = new Node<>(null, "");
  private final AtomicInteger nodes = new AtomicInteger();
  /**
   * Tests only: runs before a writer locks a node it found without a lock, to force the prune
   * race deterministically. One volatile read per write; never set in production.
   */
  volatile Consumer<Node<?>> beforeLock;

  /** One level. Value writes must happen inside {@link #update}, which holds the node's lock. */
  public static final class Node<V> {
    final Node<V> parent;
    final String level;
    /** Cached so a probe that misses does not touch the String. */
    final int levelHash;
    private volatile V value;
    /** Literal children by level, open addressing with linear probing; never full. */
    private volatile Node<V>[] table;
    /** Wildcard children live outside the table so matching reaches them without hashing. */
    private volatile Node<V> plus;

    private volatile Node<V> hash;
    // guarded by this
    private int size;
    private int used;
    private boolean dead;

    Node(Node<V> parent, String level) {
      this.parent = parent;
      this.level = level;
      this.levelHash = level.hashCode();
    }

    public V value() {
      return value;
    }

    /** Only from the function given to {@link LevelTrie#update}. */
    public void setValue(V v) {
      if (!Thread.holdsLock(this)) {
        throw new IllegalStateException("setValue outside LevelTrie.update");
      }
      value = v;
    }

    /** Child for s[from, to), wildcards included. */
    Node<V> child(String s, int from, int to) {
      if (to - from == 1) {
        char c = s.charAt(from);
        if (c == '+') {
          return plus;
        }
        if (c == '#') {
          return hash;
        }
      }
      return literalChild(s, from, to);
    }

    /** Looks up a literal level without allocating a substring. */
    @SuppressWarnings("unchecked")
    Node<V> literalChild(String s, int from, int to) {
      Node<V>[] t = table;
      if (t == null) {
        return null;
      }
      int h = 0;
      for (int i = from; i < to; i++) {
        h = 31 * h + s.charAt(i);
      }
      int mask = t.length - 1;
      int len = to - from;
      for (int i = slot(h, t.length); ; i = (i + 1) & mask) {
        Node<V> c = (Node<V>) SLOT.getAcquire(t, i);
        if (c == null) {
          return null;
        }
        if (c != TOMBSTONE
            && c.levelHash == h
            && c.level.length() == len
            && c.level.regionMatches(0, s, from, len)) {
          return c;
        }
      }
    }

    boolean hasChildren() {
      return size > 0 || plus != null || hash != null;
    }

    void addChild(Node<V> c) {
      if (c.level.equals("+")) {
        plus = c;
        return;
      }
      if (c.level.equals("#")) {
        hash = c;
        return;
      }
      Node<V>[] t = table;
      if (t == null || (used + 1) * 4 > t.length * 3) {
        t = rehash(size + 1);
      }
      int mask = t.length - 1;
      int i = slot(c.levelHash, t.length);
      while (true) {
        Object o = t[i];
        if (o == null || o == TOMBSTONE) {
          if (o == null) {
            used++;
          }
          SLOT.setRelease(t, i, c);
          size++;
          return;
        }
        i = (i + 1) & mask;
      }
    }

    void removeChild(Node<V> c) {
      if (plus == c) {
        plus = null;
        return;
      }
      if (hash == c) {
        hash = null;
        return;
      }
      Node<V>[] t = table;
      int mask = t.length - 1;
      for (int i = slot(c.levelHash, t.length); ; i = (i + 1) & mask) {
        if (t[i] == c) {
          SLOT.setRelease(t, i, TOMBSTONE);
          break;
        }
      }
      size--;
      if (size == 0) {
        table = null;
        used = 0;
      } else if (t.length > MIN_TABLE * 2 && size * 8 < t.length) {
        rehash(size);
      }
    }

    /** Builds a fresh table for at least capacity live children; readers keep the old one. */
    @SuppressWarnings("unchecked")
    private Node<V>[] rehash(int capacity) {
      int n = MIN_TABLE;
      while (n * 3 < capacity * 4 + 4) {
        n <<= 1;
      }
      Node<V>[] nt = new Node[n];
      Node<V>[] old = table;
      if (old != null) {
        for (Node<V> c : old) {
          if (c != null && c != TOMBSTONE) {
            int i = slot(c.levelHash, n);
            while (nt[i] != null) {
              i = (i + 1) & (n - 1);
            }
            nt[i] = c;
          }
        }
      }
      used = size;
      table = nt; // volatile write publishes the filled array
      return nt;
    }

    private static int slot(int h, int length) {
      return (h * 0x9E3779B9) >>> (Integer.numberOfLeadingZeros(length) + 1);
    }
  }

  /** The value stored under key exactly, or null. */
  public V get(String key) {
    Node<V> n = root;
    int start = 0;
    while (true) {
      int end = Topics.levelEnd(key, start);
      n = n.child(key, start, end);
      if (n == null) {
        return null;
      }
      if (end == key.length()) {
        return n.value;
      }
      start = end + 1;
    }
  }

  /**
   * Runs fn with the node of key while holding its lock; fn reads and sets the value. Creates the
   * path when create is true; otherwise returns null without calling fn when there is no node. A
   * node left with no value and no children is pruned afterwards.
   */
  public <R> R update(String key, boolean create, Function<Node<V>, R> fn) {
    retry:
    while (true) {
      Node<V> n = root;
      int start = 0;
      while (true) {
        int end = Topics.levelEnd(key, start);
        Node<V> c = n.child(key, start, end);
        if (c == null) {
          if (!create) {
            return null;
          }
          c = childOrCreate(n, key.substring(start, end));
          if (c == null) {
            continue retry;
          }
        }
        n = c;
        if (end == key.length()) {
          break;
        }
        start = end + 1;
      }
      R result;
      boolean empty;
      hook(n);
      synchronized (n) {
        if (n.dead) {
          continue;
        }
        result = fn.apply(n);
        empty = n.value == null && !n.hasChildren();
      }
      if (empty) {
        prune(n);
      }
      return result;
    }
  }

  /** Number of nodes below the root; for leak tests and metrics. */
  public int nodeCount() {
    return nodes.get();
  }

  /** Visits the non-null values whose key, read as a filter, matches topic. */
  public void matchTopic(String topic, Consumer<? super V> visitor) {
    boolean dollar = !topic.isEmpty() && topic.charAt(0) == '$';
    walkTopic(root, topic, 0, dollar, visitor);
  }

  /** Visits the non-null values whose key, read as a topic name, is matched by filter. */
  public void matchFilter(String filter, Consumer<? super V> visitor) {
    walkFilter(root, filter, 0, true, visitor);
  }

  /** Visits every value, '$' keys included. */
  public void forEach(Consumer<? super V> visitor) {
    visitSubtree(root, false, visitor);
  }

  /** null when parent is dead: the caller starts over. */
  private Node<V> childOrCreate(Node<V> parent, String level) {
    hook(parent);
    synchronized (parent) {
      if (parent.dead) {
        return null;
      }
      Node<V> c = parent.child(level, 0, level.length());
      if (c == null) {
        c = new Node<>(parent, level);
        parent.addChild(c);
        nodes.incrementAndGet();
      }
      return c;
    }
  }

  private void hook(Node<V> n) {
    Consumer<Node<?>> h = beforeLock;
    if (h != null) {
      h.accept(n);
    }
  }

  private void prune(Node<V> n) {
    while (n != root) {
      Node<V> p = n.parent;
      synchronized (p) {
        synchronized (n) {
          if (n.dead || n.value != null || n.hasChildren()) {
            return;
          }
          n.dead = true;
          p.removeChild(n);
          nodes.decrementAndGet();
        }
      }
      n = p;
    }
  }

  /** start is where the current topic level begins; past the end once every level is used. */
  private void walkTopic(
      Node<V> n, String topic, int start, boolean skipWildcards, Consumer<? super V> visitor) {
    if (start > topic.length()) {
      visit(n, visitor);
      Node<V> h = n.hash; // "a/#" matches "a"
      if (h != null) {
        visit(h, visitor);
      }
      return;
    }
    if (!skipWildcards) {
      Node<V> h = n.hash;
      if (h != null) {
        visit(h, visitor);
      }
    }
    int end = Topics.levelEnd(topic, start);
    Node<V> c = n.literalChild(topic, start, end);
    if (c != null) {
      walkTopic(c, topic, end + 1, false, visitor);
    }
    if (!skipWildcards) {
      Node<V> p = n.plus;
      if (p != null) {
        walkTopic(p, topic, end + 1, false, visitor);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private void walkFilter(Node<V> n, String filter, int start, boolean atRoot, Consumer<? super V> visitor) {
    if (start > filter.length()) {
      visit(n, visitor);
      return;
    }
    int end = Topics.levelEnd(filter, start);
    if (end - start == 1 && filter.charAt(start) == '#') {
      visitSubtree(n, atRoot, visitor);
      return;
    }
    if (end - start == 1 && filter.charAt(start) == '+') {
      Node<V>[] t = n.table;
      if (t != null) {
        for (int i = 0; i < t.length; i++) {
          Node<V> c = (Node<V>) SLOT.getAcquire(t, i);
          if (c != null && c != TOMBSTONE && !(atRoot && isDollar(c))) {
            walkFilter(c, filter, end + 1, false, visitor);
          }
        }
      }
      return;
    }
    Node<V> c = n.literalChild(filter, start, end);
    if (c != null) {
      walkFilter(c, filter, end + 1, false, visitor);
    }
  }

  @SuppressWarnings("unchecked")
  private void visitSubtree(Node<V> n, boolean atRoot, Consumer<? super V> visitor) {
    visit(n, visitor);
    Node<V>[] t = n.table;
    if (t != null) {
      for (int i = 0; i < t.length; i++) {
        Node<V> c = (Node<V>) SLOT.getAcquire(t, i);
        if (c != null && c != TOMBSTONE && !(atRoot && isDollar(c))) {
          visitSubtree(c, false, visitor);
        }
      }
    }
  }

  private static boolean isDollar(Node<?> n) {
    return !n.level.isEmpty() && n.level.charAt(0) == '$';
  }

  private static <V> void visit(Node<V> n, Consumer<? super V> visitor) {
    V v = n.value;
    if (v != null) {
      visitor.accept(v);
    }
  }
}

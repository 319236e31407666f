package io.simqtt.store;

import io.simqtt.core.session.SessionImport;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.TreeMap;

/**
 * The imports of each client begun and not ended, by first seq (see {@code
 * SessionStore#beginImport}), and the range of seqs each owns ({@link SessionImport#rangeEnd}):
 * what a deletion of the client's entries leaves, and exactly what an abandon deletes. Its static
 * part gives the ranges of the imports a crash cut short, as recovery reads their marks.
 * Thread-safe.
 */
final class ActiveImports {
  /**
   * What a write of the client's session whole leaves of its imports, as ranges (first seq to
   * end, exclusive): the entries of every import active before it ({@code entries}: the installed
   * ones' are the session's backlog now), and the marks of those still active after it ({@code
   * marks}: the installed ones' end).
   */
  record Install(NavigableMap<Long, Long> entries, NavigableMap<Long, Long> marks) {}

  /** By client, by first seq: whether all its entries came ({@code SessionStore#finishImport}). */
  private final Map<String, TreeMap<Long, Boolean>> byClient = new HashMap<>();

  synchronized void begin(String clientId, long firstSeq) {
    byClient.computeIfAbsent(clientId, id -> new TreeMap<>()).put(firstSeq, false);
  }

  /** All entries of the import came: the next write of its client whole is its install. */
  synchronized void finish(String clientId, long firstSeq) {
    TreeMap<Long, Boolean> imports = byClient.get(clientId);
    if (imports != null) {
      imports.replace(firstSeq, true);
    }
  }

  /**
   * The import that began at {@code firstSeq} ends without an install: returns the end
   * (exclusive) of its range, which the imports still active bound.
   */
  synchronized long abandon(String clientId, long firstSeq) {
    TreeMap<Long, Boolean> imports = byClient.getOrDefault(clientId, new TreeMap<>());
    Long next = imports.higherKey(firstSeq);
    imports.remove(firstSeq);
    if (imports.isEmpty()) {
      byClient.remove(clientId);
    }
    return SessionImport.rangeEnd(firstSeq, next == null ? 0 : next);
  }

  /** The first seq of the client's highest import still active, 0 for none. */
  synchronized long last(String clientId) {
    TreeMap<Long, Boolean> imports = byClient.get(clientId);
    return imports == null ? 0 : imports.lastKey();
  }

  /** The ranges of the client's imports still active: first seq to end (exclusive). */
  synchronized NavigableMap<Long, Long> ranges(String clientId) {
    return ranges(byClient.getOrDefault(clientId, new TreeMap<>()).navigableKeySet());
  }

  /** The client's session is written whole: the finished imports end, it is their install. */
  synchronized Install install(String clientId) {
    TreeMap<Long, Boolean> imports = byClient.getOrDefault(clientId, new TreeMap<>());
    NavigableMap<Long, Long> entries = ranges(imports.navigableKeySet());
    imports.values().removeIf(finished -> finished);
    if (imports.isEmpty()) {
      byClient.remove(clientId);
    }
    NavigableMap<Long, Long> marks = new TreeMap<>(entries);
    marks.keySet().retainAll(imports.keySet());
    return new Install(entries, marks);
  }

  /** Each of a client's imports, by first seq, to the end of its range (exclusive). */
  static NavigableMap<Long, Long> ranges(NavigableSet<Long> firstSeqs) {
    TreeMap<Long, Long> ranges = new TreeMap<>();
    for (long first : firstSeqs) {
      Long next = firstSeqs.higher(first);
      ranges.put(first, SessionImport.rangeEnd(first, next == null ? 0 : next));
    }
    return ranges;
  }
}

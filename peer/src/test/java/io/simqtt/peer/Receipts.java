package io.simqtt.peer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What one subscriber received of {@link NumberedPublisher}s' messages: each payload with how
 * many times it came, so missing numbers and duplicates can be counted at the end.
 */
final class Receipts {
  private final Map<String, Integer> counts = new ConcurrentHashMap<>();

  void add(String payload) {
    counts.merge(payload, 1, Integer::sum);
  }

  /** Deliveries, duplicates included. */
  int total() {
    return counts.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** Deliveries beyond the first of each payload. */
  int duplicates() {
    return counts.values().stream().mapToInt(n -> n - 1).sum();
  }

  boolean has(String publisher, int seq) {
    return has(NumberedPublisher.payload(publisher, seq));
  }

  boolean has(String payload) {
    return counts.containsKey(payload);
  }

  /** The numbers in {@code acked} never received from {@code publisher}, ascending. */
  List<Integer> missing(String publisher, Set<Integer> acked) {
    List<Integer> out = new ArrayList<>();
    for (int seq : acked) {
      if (!has(publisher, seq)) {
        out.add(seq);
      }
    }
    out.sort(null);
    return out;
  }

  /** A short form of a long list of numbers: the count and the first few. */
  static String brief(List<Integer> numbers) {
    return numbers.size() + " " + (numbers.size() <= 40 ? numbers
        : numbers.subList(0, 40) + "... (" + (numbers.size() - 40) + " more)");
  }
}

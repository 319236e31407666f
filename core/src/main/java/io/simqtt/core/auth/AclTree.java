package io.simqtt.core.auth;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * ACL rules as a tree of topic levels, so a check walks the levels of one topic instead of
 * scanning every rule. Each rule is a filter with access bits; a check returns the union of the
 * bits of every rule matching the topic. Levels of pattern rules may hold {@code %c} (client id)
 * and {@code %u} (user name), filled in per check; a rule with {@code %u} never matches a client
 * without a user name.
 *
 * <p>Built once, then only read, from any thread.
 */
final class AclTree {
  static final int READ = 1;
  static final int WRITE = 2;
  static final int DENY = 4;

  private final Node root = new Node();

  private static final class Node {
    final Map<String, Node> children = new HashMap<>();
    /** Children whose level holds %c or %u, compared after substitution. */
    final List<Map.Entry<String, Node>> templated = new ArrayList<>();
    Node plus;
    Node hash;
    int bits;
  }

  /** Adds a rule; only in a {@code pattern} rule are %c and %u filled in. */
  void add(String filter, int bits, boolean pattern) {
    Node n = root;
    for (String level : filter.split("/", -1)) {
      n = switch (level) {
        case "+" -> n.plus == null ? (n.plus = new Node()) : n.plus;
        case "#" -> n.hash == null ? (n.hash = new Node()) : n.hash;
        default -> pattern && (level.contains("%c") || level.contains("%u"))
            ? templatedChild(n, level)
            : n.children.computeIfAbsent(level, k -> new Node());
      };
    }
    n.bits |= bits;
  }

  private static Node templatedChild(Node parent, String level) {
    for (Map.Entry<String, Node> e : parent.templated) {
      if (e.getKey().equals(level)) {
        return e.getValue();
      }
    }
    Node child = new Node();
    parent.templated.add(Map.entry(level, child));
    return child;
  }

  /**
   * The bits of the rules that match the topic split into {@code levels} (split once by the
   * caller for every tree it asks); with {@code subscription}, of the rules that cover every
   * topic the filter can match (rule {@code a/#} covers subscription {@code a/+/b}; rule
   * {@code a/+} does not cover {@code a/#}).
   */
  int bits(String[] levels, boolean subscription, String clientId, String userName) {
    boolean dollar = !levels[0].isEmpty() && levels[0].charAt(0) == '$';
    return match(root, levels, 0, subscription, dollar, clientId, userName);
  }

  private static int match(Node n, String[] levels, int i, boolean subscription,
      boolean dollar, String clientId, String userName) {
    // A rule starting with a wildcard does not match topics starting with $ (MQTT 4.7.2).
    boolean wildcardsMatch = !(i == 0 && dollar);
    int bits = 0;
    if (n.hash != null && wildcardsMatch) {
      bits |= n.hash.bits; // "#" also matches the parent level: a/# matches a
    }
    if (i == levels.length) {
      return bits | n.bits;
    }
    String level = levels[i];
    boolean wildLevel = subscription && (level.equals("+") || level.equals("#"));
    if (!wildLevel) {
      Node child = n.children.get(level);
      if (child != null) {
        bits |= match(child, levels, i + 1, subscription, dollar, clientId, userName);
      }
      for (Map.Entry<String, Node> e : n.templated) {
        String expected = fill(e.getKey(), clientId, userName);
        if (level.equals(expected)) {
          bits |= match(e.getValue(), levels, i + 1, subscription, dollar, clientId, userName);
        }
      }
    }
    if (n.plus != null && wildcardsMatch && !(subscription && level.equals("#"))) {
      bits |= match(n.plus, levels, i + 1, subscription, dollar, clientId, userName);
    }
    return bits;
  }

  /** The level with %c and %u filled in; null when it needs a user name the client lacks. */
  private static String fill(String level, String clientId, String userName) {
    if (level.contains("%u") && userName == null) {
      return null;
    }
    String filled = level.replace("%c", clientId);
    return userName == null ? filled : filled.replace("%u", userName);
  }
}

package io.simqtt.config;

import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Refuses keys that reference.conf does not define. A misspelt key would otherwise be ignored
 * silently and the node would run with the default the operator meant to change.
 */
final class KeyChecker {

  /** Keys of one cluster.peers entry; the list is empty in reference.conf so it cannot say. */
  static final List<String> PEER_KEYS = List.of("id", "host", "port");

  private static final String PEERS = "cluster.peers";

  /** Keys that moved, old to new, so an old config gets a pointer instead of a guess. */
  static final Map<String, String> MOVED = Map.of(ListenerBinder.MOVED_FROM, ListenerBinder.MOVED_TO);

  private KeyChecker() {}

  static void check(ConfigObject actual, ConfigObject reference) {
    walk(actual, reference, "");
  }

  private static void walk(ConfigObject actual, ConfigObject reference, String prefix) {
    for (String key : new TreeSet<>(actual.keySet())) {
      String path = prefix + key;
      ConfigValue value = actual.get(key);
      ConfigValue known = reference.get(key);
      if (known == null && prefix.equals(ListenerBinder.PATH + ".")
          && value.valueType() == ConfigValueType.OBJECT) {
        known = ListenerBinder.referenceFor(key, (ConfigObject) value, reference);
      }
      if (known == null && MOVED.containsKey(path)) {
        throw new SettingsException(path, path + " is now " + MOVED.get(path) + " (same keys): "
            + "write " + MOVED.get(path) + ".port, or in the environment "
            + EnvOverrides.PREFIX + MOVED.get(path).replace('.', '_').toUpperCase(Locale.ROOT)
            + "_PORT" + Sources.suffix(value.origin()));
      }
      if (known == null) {
        throw unknown(path, key, reference.keySet(), value);
      }
      if (known.valueType() == ConfigValueType.OBJECT) {
        if (value.valueType() != ConfigValueType.OBJECT) {
          throw new SettingsException(
              path,
              path + " = " + ConfigReader.render(value)
                  + " must be an object with keys " + String.join(", ", new TreeSet<>(
                      ((ConfigObject) known).keySet()))
                  + Sources.suffix(value.origin()));
        }
        walk((ConfigObject) value, (ConfigObject) known, path + ".");
      } else if (path.equals(PEERS) && value.valueType() == ConfigValueType.LIST) {
        checkPeers((Iterable<?>) value);
      }
    }
  }

  private static void checkPeers(Iterable<?> peers) {
    int i = 0;
    for (Object element : peers) {
      if (element instanceof ConfigObject peer) {
        for (String key : new TreeSet<>(peer.keySet())) {
          if (!PEER_KEYS.contains(key)) {
            throw unknown(PEERS + "[" + i + "]." + key, key, PEER_KEYS, peer.get(key));
          }
        }
      }
      i++;
    }
  }

  private static SettingsException unknown(
      String path, String key, Collection<String> siblings, ConfigValue value) {
    String hint = closest(key, siblings)
        .map(s -> " (did you mean " + s + "?)")
        .orElse(" (expected one of: " + String.join(", ", new TreeSet<>(siblings)) + ")");
    return new SettingsException(
        path, "unknown key " + path + hint + Sources.suffix(value.origin()));
  }

  static Optional<String> closest(String key, Collection<String> candidates) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : candidates) {
      int d = distance(key, candidate);
      if (d < bestDistance) {
        best = candidate;
        bestDistance = d;
      }
    }
    // Two edits catch the usual slips (swapped, missing or doubled letters) without suggesting
    // an unrelated short key.
    int allowed = Math.min(2, Math.max(1, key.length() / 3));
    return bestDistance <= allowed ? Optional.of(best) : Optional.empty();
  }

  /**
   * Edit distance counting a swap of neighbours as one edit (optimal string alignment), since
   * "prot" for "port" is the commonest typo; the key sets are tiny so the table is fine.
   */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2)
            && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }

  /** Every leaf path of reference.conf, for mapping environment variables onto keys. */
  static Set<String> leafPaths(ConfigObject reference, Set<String> roots) {
    Set<String> paths = new TreeSet<>();
    for (String root : roots) {
      ConfigValue value = reference.get(root);
      if (value instanceof ConfigObject object) {
        collect(object, root + ".", paths);
      }
    }
    return paths;
  }

  private static void collect(ConfigObject object, String prefix, Set<String> paths) {
    for (var entry : object.entrySet()) {
      if (entry.getValue() instanceof ConfigObject child) {
        collect(child, prefix + entry.getKey() + ".", paths);
      } else {
        paths.add(prefix + entry.getKey());
      }
    }
  }
}

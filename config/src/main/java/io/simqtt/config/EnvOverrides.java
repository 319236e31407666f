package io.simqtt.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns {@code SIMQTT_*} environment variables into config overrides.
 *
 * <p>The scheme: drop the {@code SIMQTT_} prefix, lower-case the rest, read {@code __} as "." and
 * {@code _} as "-": {@code SIMQTT_MQTT__LIMITS__MAX_PACKET_SIZE=2MiB} sets {@code
 * mqtt.limits.max-packet-size}. Because nobody types double underscores from memory, a name that
 * uses single underscores throughout is also accepted when it matches exactly one key: {@code
 * SIMQTT_MQTT_TCP_PORT}, {@code SIMQTT_CLUSTER_SECRET}. The strict rule alone would read the latter
 * as a key "cluster-secret", so the shorthand is what makes the documented secret variable work.
 *
 * <p>A variable whose first word is a root (node, mqtt, cluster, admin, metrics) but names no key
 * is an error (typo
 * protection); any other {@code SIMQTT_} variable (such as {@code SIMQTT_LOG_LEVEL}) belongs to
 * someone else and is ignored. Values are strings, which typesafe-config converts on read; list
 * keys ({@code cluster.peers}) take HOCON list text.
 */
final class EnvOverrides {

  static final String PREFIX = "SIMQTT_";

  private EnvOverrides() {}

  static Config from(
      Map<String, String> env, Set<String> knownKeys, Set<String> roots, Config reference) {
    Map<String, String> strict = new HashMap<>();
    Map<String, List<String>> loose = new HashMap<>();
    for (String key : knownKeys) {
      strict.put(key.replace(".", "__").replace('-', '_'), key);
      loose.computeIfAbsent(key.replace('.', '_').replace('-', '_'), k -> new ArrayList<>())
          .add(key);
    }
    Config overrides = ConfigFactory.empty("environment");
    // Sorted so that which error is reported first does not depend on hash order.
    for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
      String name = e.getKey();
      if (!name.toUpperCase(Locale.ROOT).startsWith(PREFIX)) {
        continue;
      }
      String rest = name.substring(PREFIX.length()).toLowerCase(Locale.ROOT);
      String key = strict.get(rest);
      if (key == null) {
        List<String> matches = loose.getOrDefault(rest, List.of());
        key = matches.size() == 1 ? matches.get(0) : null;
      }
      if (key == null) {
        String firstWord = rest.split("_", 2)[0];
        for (Map.Entry<String, String> moved : KeyChecker.MOVED.entrySet()) {
          String old = moved.getKey().replace('.', '_').replace('-', '_');
          if (rest.replace("__", "_").startsWith(old + "_")) {
            String now = PREFIX + (moved.getValue().replace('.', '_').replace('-', '_')
                + rest.replace("__", "_").substring(old.length())).toUpperCase(Locale.ROOT);
            throw new SettingsException(name, "environment variable " + name + " names "
                + moved.getKey() + ", which is now " + moved.getValue() + ": use " + now);
          }
        }
        if (roots.contains(firstWord)) {
          Set<String> names = new TreeSet<>(strict.keySet());
          names.addAll(loose.keySet());
          String guess = KeyChecker.closest(rest, names)
              .map(s -> " (did you mean " + PREFIX + s.toUpperCase(Locale.ROOT) + "?)")
              .orElse("");
          throw new SettingsException(name, "environment variable " + name
              + " names no setting" + guess);
        }
        continue;
      }
      overrides = overrides.withValue(key, value(name, e.getValue(), key, reference));
    }
    return overrides;
  }

  private static ConfigValue value(String name, String raw, String key, Config reference) {
    String origin = "environment variable " + name;
    if (reference.getValue(key).valueType() != ConfigValueType.LIST) {
      return ConfigValueFactory.fromAnyRef(raw, origin);
    }
    try {
      return ConfigFactory.parseString(
              "v = " + raw, ConfigParseOptions.defaults().setOriginDescription(origin))
          .getValue("v");
    } catch (ConfigException e) {
      throw new SettingsException(name, "environment variable " + name
          + " is not a HOCON list like [{ id = n2, host = 10.0.0.2, port = 7946 }]", e);
    }
  }
}

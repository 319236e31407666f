package io.simqtt.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Builds a validated {@link NodeSettings} from layers, later ones winning:
 *
 * <ol>
 *   <li>{@code reference.conf} (every default);
 *   <li>the file from {@code --config FILE} / {@code --config=FILE}, else the variable {@code
 *       SI_CFG_PATH}, else none;
 *   <li>{@code SIMQTT_*} environment variables (see {@link EnvOverrides} for the scheme);
 *   <li>Java system properties under node, mqtt, cluster, admin and metrics ({@code
 *       -Dmqtt.listeners.tcp.port=1884}).
 * </ol>
 *
 * <p>System properties sit above the environment because they are written on this very command
 * line, while the environment is inherited from whatever started the process.
 *
 * <p>Anything wrong ends in a one-line {@link SettingsException}; nothing here opens a port.
 */
public final class SettingsLoader {

  /** Variable naming the config file when no --config is given. */
  public static final String CONFIG_PATH_ENV = "SI_CFG_PATH";

  /** The top-level sections this node owns; keys under them are checked strictly. */
  static final Set<String> ROOTS = Set.of("node", "mqtt", "cluster", "admin", "metrics");

  private static final Config REFERENCE =
      ConfigFactory.parseResources(SettingsLoader.class.getClassLoader(), "reference.conf");

  private static final Set<String> KNOWN_KEYS = KeyChecker.leafPaths(REFERENCE.root(), ROOTS);

  private SettingsLoader() {}

  /** Loads with the real environment and system properties. */
  public static NodeSettings load(String[] args) {
    return load(args, System.getenv(), System.getProperties());
  }

  /** Loads with the given environment and the real system properties. */
  public static NodeSettings load(String[] args, Map<String, String> env) {
    return load(args, env, System.getProperties());
  }

  /** Loads with everything given explicitly, so tests need not touch the process state. */
  public static NodeSettings load(String[] args, Map<String, String> env, Properties sysProps) {
    Config file = ConfigFile.locate(args, env).map(ConfigFile::parse).orElse(ConfigFactory.empty());
    Config envLayer = EnvOverrides.from(env, KNOWN_KEYS, ROOTS, REFERENCE);
    return build(systemProperties(sysProps).withFallback(envLayer).withFallback(file), env);
  }

  /** The defaults alone, ignoring environment, system properties and files. */
  public static NodeSettings defaults() {
    return build(ConfigFactory.empty(), Map.of());
  }

  /**
   * HOCON text over the defaults, validated; the environment and system properties are ignored
   * so tests stay deterministic. Example: {@code fromString("mqtt.listeners.tcp { host = 127.0.0.1,
   * port = 0 }")}.
   */
  public static NodeSettings fromString(String hocon) {
    Config text;
    try {
      text = ConfigFactory.parseString(
          hocon, ConfigParseOptions.defaults().setOriginDescription("config text"));
    } catch (ConfigException e) {
      throw ConfigFile.syntaxError("config text", e);
    }
    return build(text, Map.of());
  }

  /** The keys reference.conf defines under its roots (for docs and tests). */
  public static Set<String> knownKeys() {
    return KNOWN_KEYS;
  }

  private static NodeSettings build(Config overrides, Map<String, String> env) {
    Config merged;
    try {
      // ${?VAR} in a file reads the given environment, not the process one, for testability.
      merged = overrides.withFallback(REFERENCE).resolve(
          ConfigResolveOptions.defaults()
              .setUseSystemEnvironment(false)
              .appendResolver(new EnvResolver(env)));
    } catch (ConfigException.UnresolvedSubstitution e) {
      throw new SettingsException(
          "", "unresolved substitution: " + ConfigFile.stripOrigin(e) + Sources.suffix(e.origin()),
          e);
    } catch (ConfigException e) {
      throw new SettingsException("", ConfigFile.stripOrigin(e) + Sources.suffix(e.origin()), e);
    }
    ConfigObject root = merged.root();
    for (String key : root.keySet()) {
      // Roots other than ours may come from other libraries' reference.conf; leave them be.
      if (REFERENCE.root().containsKey(key) && !ROOTS.contains(key)) {
        root = root.withoutKey(key);
      }
    }
    KeyChecker.check(root, REFERENCE.root());
    return SettingsBinder.bind(ListenerBinder.withTypeDefaults(merged, REFERENCE.root()));
  }

  private static Config systemProperties(Properties props) {
    Properties ours = new Properties();
    for (String name : props.stringPropertyNames()) {
      if (ROOTS.contains(name.split("\\.", 2)[0])) {
        ours.setProperty(name, props.getProperty(name));
      }
    }
    return ConfigFactory.parseProperties(
        ours, ConfigParseOptions.defaults().setOriginDescription("system properties"));
  }
}

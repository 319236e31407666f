package io.simqtt.config;

import com.typesafe.config.ConfigResolver;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.util.Map;

/**
 * Lets {@code ${?VAR}} in a config file read a given environment map instead of the process
 * environment, so the loader is testable without changing the real environment.
 */
final class EnvResolver implements ConfigResolver {

  private final Map<String, String> env;
  private final ConfigResolver fallback;

  EnvResolver(Map<String, String> env) {
    this(env, null);
  }

  private EnvResolver(Map<String, String> env, ConfigResolver fallback) {
    this.env = env;
    this.fallback = fallback;
  }

  @Override
  public ConfigValue lookup(String path) {
    String value = env.get(path);
    if (value != null) {
      return ConfigValueFactory.fromAnyRef(value, "environment variable " + path);
    }
    return fallback == null ? null : fallback.lookup(path);
  }

  @Override
  public ConfigResolver withFallback(ConfigResolver other) {
    return other == null ? this : new EnvResolver(env, other);
  }
}

package io.simqtt.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** Finds the config file named on the command line or in the environment, and parses it. */
record ConfigFile(Path path, String namedBy) {

  static final String OPTION = "--config";

  /** --config wins over SI_CFG_PATH; other arguments belong to the caller and are skipped. */
  static Optional<ConfigFile> locate(String[] args, Map<String, String> env) {
    String fromArgs = null;
    for (int i = 0; i < args.length; i++) {
      String value = null;
      if (args[i].equals(OPTION)) {
        if (i + 1 >= args.length || args[i + 1].isBlank()) {
          throw new SettingsException(OPTION, OPTION + " needs a file path: --config FILE");
        }
        value = args[++i];
      } else if (args[i].startsWith(OPTION + "=")) {
        value = args[i].substring(OPTION.length() + 1);
        if (value.isBlank()) {
          throw new SettingsException(OPTION, OPTION + " needs a file path: --config=FILE");
        }
      }
      if (value != null) {
        if (fromArgs != null) {
          throw new SettingsException(OPTION, OPTION + " given twice (" + fromArgs + ", " + value
              + "): put everything in one file");
        }
        fromArgs = value;
      }
    }
    if (fromArgs != null) {
      return Optional.of(new ConfigFile(Path.of(fromArgs), OPTION));
    }
    String fromEnv = env.get(SettingsLoader.CONFIG_PATH_ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return Optional.of(new ConfigFile(Path.of(fromEnv), SettingsLoader.CONFIG_PATH_ENV));
    }
    return Optional.empty();
  }

  Config parse() {
    if (!Files.isRegularFile(path)) {
      throw new SettingsException(path.toString(), "config file " + path.toAbsolutePath()
          + " (from " + namedBy + ") " + (Files.exists(path) ? "is not a file" : "does not exist"));
    }
    if (!Files.isReadable(path)) {
      throw new SettingsException(path.toString(), "config file " + path.toAbsolutePath()
          + " (from " + namedBy + ") is not readable");
    }
    String name = path.getFileName().toString();
    // Any name other than .json/.properties is HOCON, so "node1.cfg" is not silently misread.
    ConfigParseOptions options = ConfigParseOptions.defaults().setAllowMissing(false);
    if (!name.endsWith(".json") && !name.endsWith(".properties")) {
      options = options.setSyntax(ConfigSyntax.CONF);
    }
    try {
      return ConfigFactory.parseFile(path.toFile(), options);
    } catch (ConfigException e) {
      throw syntaxError(path.toString(), e);
    }
  }

  static SettingsException syntaxError(String source, ConfigException e) {
    String where = e.origin() != null && e.origin().lineNumber() > 0
        ? source + " line " + e.origin().lineNumber()
        : source;
    return new SettingsException(source, "syntax error in " + where + ": " + stripOrigin(e), e);
  }

  /** typesafe-config prefixes messages with the origin; the caller words that itself. */
  static String stripOrigin(ConfigException e) {
    String message = e.getMessage();
    if (e.origin() != null) {
      String prefix = e.origin().description() + ": ";
      if (message.startsWith(prefix)) {
        return message.substring(prefix.length());
      }
    }
    return message;
  }
}

package io.simqtt.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Typed, range-checked reads from a resolved {@link Config}. Every failure becomes a one-line
 * {@link SettingsException} naming the full key, the value as written and where it was set,
 * instead of typesafe-config's multi-clause messages.
 */
final class ConfigReader {

  private final Config config;
  private final String prefix;

  ConfigReader(Config config) {
    this(config, "");
  }

  private ConfigReader(Config config, String prefix) {
    this.config = config;
    this.prefix = prefix;
  }

  long longIn(String path, long min, long max) {
    ConfigValue value = value(path);
    Number number;
    try {
      number = config.getNumber(path);
    } catch (ConfigException e) {
      throw bad(path, value, "is not a number (expected " + min + ".." + max + ")");
    }
    if (number.doubleValue() != Math.rint(number.doubleValue())) {
      throw bad(path, value, "is not a whole number (expected " + min + ".." + max + ")");
    }
    long n = number.longValue();
    if (n < min || n > max) {
      throw bad(path, value, "is out of range (" + min + ".." + max + ")");
    }
    return n;
  }

  int intIn(String path, int min, int max) {
    return (int) longIn(path, min, max);
  }

  /** A fraction written as a number ({@code 0.9}), {@code min..max}. */
  double fractionIn(String path, double min, double max) {
    ConfigValue value = value(path);
    double d;
    try {
      d = config.getDouble(path);
    } catch (ConfigException e) {
      throw bad(path, value, "is not a number (expected a fraction " + min + ".." + max + ")");
    }
    if (!(d >= min && d <= max)) {
      throw bad(path, value, "is out of range (" + min + ".." + max + ")");
    }
    return d;
  }

  /** A size in bytes: a plain number or a HOCON size string such as 64KiB. */
  int bytesIn(String path, long min, long max) {
    return (int) sizeIn(path, min, max);
  }

  /** {@link #bytesIn} for sizes that may pass 2 GiB. */
  long sizeIn(String path, long min, long max) {
    ConfigValue value = value(path);
    long bytes;
    try {
      bytes = config.getBytes(path);
    } catch (ConfigException e) {
      throw bad(path, value, "is not a size (use bytes or a unit: 64KiB, 1MiB)");
    }
    if (bytes < min || bytes > max) {
      throw bad(
          path, value, "(" + bytes + " bytes) is out of range (" + min + ".." + max + " bytes)");
    }
    return bytes;
  }

  Duration durationIn(String path, Duration min, Duration max) {
    ConfigValue value = value(path);
    Duration d;
    try {
      d = config.getDuration(path);
    } catch (ConfigException e) {
      throw bad(path, value, "is not a duration (use a unit: 500ms, 10s, 1m)");
    }
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw bad(path, value, "is out of range (" + human(min) + ".." + human(max) + ")");
    }
    return d;
  }

  /**
   * A span of whole seconds, {@code min..max}: a plain number (seconds, as MQTT counts them), a
   * duration with a unit (12h, 7d) or the word {@code never}, read as {@code max}.
   */
  long secondsOrNever(String path, long min, long max) {
    ConfigValue value = value(path);
    String expected =
        " (expected " + min + ".." + max + " seconds, a duration such as 7d, or never)";
    if (value.valueType() == ConfigValueType.NUMBER) {
      return longIn(path, min, max);
    }
    if (value.valueType() != ConfigValueType.STRING) {
      throw bad(path, value, "is not a number of seconds" + expected);
    }
    String s = ((String) value.unwrapped()).trim();
    long seconds;
    if (s.equalsIgnoreCase("never")) {
      return max;
    } else if (s.matches("[0-9]{1,19}")) {
      try {
        seconds = Long.parseLong(s);
      } catch (NumberFormatException e) {
        throw bad(path, value, "is out of range" + expected);
      }
    } else {
      Duration d;
      try {
        d = config.getDuration(path);
      } catch (ConfigException e) {
        throw bad(path, value, "is not a number of seconds" + expected);
      }
      if (d.getNano() != 0) {
        throw bad(path, value, "is not a whole number of seconds" + expected);
      }
      seconds = d.getSeconds();
    }
    if (seconds < min || seconds > max) {
      throw bad(path, value, "is out of range" + expected);
    }
    return seconds;
  }

  boolean bool(String path) {
    ConfigValue value = value(path);
    try {
      return config.getBoolean(path);
    } catch (ConfigException e) {
      throw bad(path, value, "is not a boolean (expected true or false)");
    }
  }

  String string(String path) {
    ConfigValue value = value(path);
    if (value.valueType() == ConfigValueType.OBJECT || value.valueType() == ConfigValueType.LIST) {
      throw bad(path, value, "is not a string");
    }
    return config.getString(path);
  }

  /** A file the node must read, or null for "" (none); a path that is not one is an error. */
  Path readableFileOrNone(String path) {
    String s = string(path);
    if (s.isEmpty()) {
      return null;
    }
    Path file = Path.of(s);
    if (!Files.isRegularFile(file)) {
      throw bad(path, value(path), "is not a file" + (Files.exists(file) ? "" : " (no such file)"));
    }
    if (!Files.isReadable(file)) {
      throw bad(path, value(path), "cannot be read by this process");
    }
    return file;
  }

  /** A directory the node must read, or null for "" (none); a path that is not one is an error. */
  Path readableDirectoryOrNone(String path) {
    String s = string(path);
    if (s.isEmpty()) {
      return null;
    }
    Path dir = Path.of(s);
    if (!Files.isDirectory(dir)) {
      throw bad(path, value(path), "is not a directory" + (Files.exists(dir) ? "" : " (no such directory)"));
    }
    if (!Files.isReadable(dir) || !Files.isExecutable(dir)) {
      throw bad(path, value(path), "cannot be read by this process");
    }
    return dir;
  }

  /** A list of strings. */
  List<String> strings(String path) {
    ConfigValue value = value(path);
    if (value.valueType() == ConfigValueType.STRING) {
      return List.of((String) value.unwrapped()); // one string is a list of one
    }
    if (value.valueType() != ConfigValueType.LIST) {
      throw bad(path, value, "is not a list (expected [\"a\", \"b\"])");
    }
    List<String> strings = new ArrayList<>();
    for (ConfigValue element : config.getList(path)) {
      if (element.valueType() != ConfigValueType.STRING) {
        throw bad(path, value, "holds " + render(element) + ", which is not a string");
      }
      strings.add((String) element.unwrapped());
    }
    return strings;
  }

  String nonEmpty(String path) {
    String s = string(path);
    if (s.isBlank()) {
      throw bad(path, value(path), "must not be empty");
    }
    return s;
  }

  String matching(String path, String regex, String rule) {
    String s = string(path);
    if (!s.matches(regex)) {
      throw bad(path, value(path), "is not valid (" + rule + ")");
    }
    return s;
  }

  /** A kebab-case word in the file ("drop-oldest") read as the enum constant DROP_OLDEST. */
  <E extends Enum<E>> E oneOf(String path, Class<E> type) {
    String s = string(path);
    List<String> allowed = new ArrayList<>();
    for (E constant : type.getEnumConstants()) {
      String word = constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
      allowed.add(word);
      if (word.equals(s.trim().toLowerCase(Locale.ROOT))) {
        return constant;
      }
    }
    throw bad(path, value(path), "is not one of " + String.join(" | ", allowed));
  }

  /** Readers over each element of a list of objects, keyed "path[i]" in messages. */
  List<ConfigReader> objects(String path) {
    ConfigValue value = value(path);
    if (value.valueType() != ConfigValueType.LIST) {
      throw bad(path, value, "is not a list");
    }
    List<ConfigReader> readers = new ArrayList<>();
    int i = 0;
    for (ConfigValue element : config.getList(path)) {
      String elementKey = key(path) + "[" + i + "]";
      if (element.valueType() != ConfigValueType.OBJECT) {
        throw new SettingsException(
            elementKey,
            elementKey + " = " + render(element) + " is not an object"
                + Sources.suffix(element.origin()));
      }
      readers.add(
          new ConfigReader(((ConfigObject) element).toConfig(), elementKey + "."));
      i++;
    }
    return readers;
  }

  Config config() {
    return config;
  }

  String key(String path) {
    return prefix + path;
  }

  /** An error about a value that is not wrong on its own but together with others. */
  SettingsException conflict(String path, String problem) {
    ConfigValue value = config.hasPath(path) ? config.getValue(path) : null;
    String shown = value == null ? "" : " = " + render(value);
    String where = value == null ? "" : Sources.suffix(value.origin());
    return new SettingsException(key(path), key(path) + shown + " " + problem + where);
  }

  /** Same as {@link #conflict} but never echoes the value (secrets). */
  SettingsException hidden(String path, String problem) {
    ConfigValue value = config.hasPath(path) ? config.getValue(path) : null;
    String where = value == null ? "" : Sources.suffix(value.origin());
    return new SettingsException(key(path), key(path) + " " + problem + where);
  }

  private ConfigValue value(String path) {
    if (!config.hasPathOrNull(path)) {
      throw new SettingsException(key(path), key(path) + " is missing");
    }
    if (config.getIsNull(path)) {
      throw new SettingsException(key(path), key(path) + " is null; remove it to use the default");
    }
    return config.getValue(path);
  }

  private SettingsException bad(String path, ConfigValue value, String problem) {
    return new SettingsException(
        key(path),
        key(path) + " = " + render(value) + " " + problem + Sources.suffix(value.origin()));
  }

  /** Strings as the operator typed them (2h, not "2h"); quoted only when that would hide text. */
  static String render(ConfigValue value) {
    if (value.valueType() == ConfigValueType.STRING) {
      String s = (String) value.unwrapped();
      if (s.matches("[^\\s\"]+")) {
        return s;
      }
    }
    return value.render(ConfigRenderOptions.concise());
  }

  private static String human(Duration d) {
    if (d.toMillis() % 3_600_000 == 0) {
      return d.toHours() + "h";
    }
    if (d.toMillis() % 1000 == 0) {
      return d.toSeconds() + "s";
    }
    return d.toMillis() + "ms";
  }
}

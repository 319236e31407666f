package io.simqtt.config;

/**
 * A configuration the node refuses to start with. The message is one line, starting with "config
 * error: " and naming the key, so it can be printed as is before any port is opened.
 */
public final class SettingsException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String key;

  public SettingsException(String key, String message) {
    this(key, message, null);
  }

  public SettingsException(String key, String message, Throwable cause) {
    // Operators paste this into tickets and grep logs for it: keep it on one line.
    super("config error: " + message.replaceAll("\\s*[\\r\\n]+\\s*", " "), cause);
    this.key = key;
  }

  /** The offending key (or the file, argument or variable when no key applies). */
  public String key() {
    return key;
  }
}

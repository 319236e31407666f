package io.simqtt.peer;

import ch.qos.logback.classic.LoggerContext;
import java.util.Map;
import java.util.Set;
import org.slf4j.LoggerFactory;

/**
 * The node's side of logging: logback.xml picks the line format from {@code SIMQTT_LOG_FORMAT};
 * this class refuses a value logback would silently turn into no output at all, and names the
 * node in every JSON line.
 */
final class LogSetup {
  static final String FORMAT_VARIABLE = "SIMQTT_LOG_FORMAT";
  private static final Set<String> FORMATS = Set.of("text", "json");

  private LogSetup() {}

  /**
   * Null when the format is one logback.xml knows, else the error to print. Runs before the first
   * logger is made, which is when logback reads its configuration. A -D property wins over the
   * environment, as in logback's own variable lookup.
   */
  static String checkFormat(Map<String, String> env) {
    String format = System.getProperty(FORMAT_VARIABLE, env.get(FORMAT_VARIABLE));
    if (format == null || FORMATS.contains(format)) {
      return null;
    }
    return FORMAT_VARIABLE + " is \"" + format + "\": use text or json";
  }

  /** Every JSON log line of this process carries {@code context.properties.node}. */
  static void nameNode(String nodeId) {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.putProperty("node", nodeId);
    }
  }
}

package io.simqtt.config;

import com.typesafe.config.ConfigOrigin;

/** Where a value was set, in words an operator recognises. */
final class Sources {

  private Sources() {}

  /** " (set in FILE line N)", " (set in environment X)", or "" for built-in defaults. */
  static String suffix(ConfigOrigin origin) {
    String where = describe(origin);
    return where.isEmpty() ? "" : " (set in " + where + ")";
  }

  static String describe(ConfigOrigin origin) {
    if (origin == null) {
      return "";
    }
    if (origin.resource() != null && origin.resource().endsWith("reference.conf")) {
      // A default cannot be wrong; if a merged value still shows it, pointing there misleads.
      return "";
    }
    if (origin.filename() != null) {
      return origin.lineNumber() > 0
          ? origin.filename() + " line " + origin.lineNumber()
          : origin.filename();
    }
    String description = origin.description();
    if (description.startsWith("merge of ")) {
      return "";
    }
    // typesafe-config writes "config text: 3"; say "line 3" like for files.
    String lineSuffix = ": " + origin.lineNumber();
    if (origin.lineNumber() > 0 && description.endsWith(lineSuffix)) {
      return description.substring(0, description.length() - lineSuffix.length())
          + " line " + origin.lineNumber();
    }
    return description;
  }
}

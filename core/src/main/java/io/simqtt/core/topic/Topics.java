package io.simqtt.core.topic;

/**
 * MQTT topic name and topic filter rules (MQTT 5 section 4.7, same in 3.1.1).
 *
 * <p>Everything here works on the string in place, without regex or splitting, because it runs
 * for every PUBLISH.
 */
public final class Topics {
  public static final String SHARE_PREFIX = "$share/";
  /** Largest UTF-8 encoded string MQTT can carry. */
  public static final int MAX_BYTES = 65_535;

  private Topics() {}

  /**
   * Valid PUBLISH topic name: non-empty, no '+' or '#', at most maxLevels levels (no limit when
   * maxLevels &lt;= 0), &lt;= 65535 UTF-8 bytes, no U+0000 or unpaired surrogate.
   */
  public static boolean isValidTopicName(String topic, int maxLevels) {
    if (topic == null || topic.isEmpty() || !isWellFormed(topic, maxLevels)) {
      return false;
    }
    return topic.indexOf('+') < 0 && topic.indexOf('#') < 0;
  }

  /**
   * Valid filter (after stripping $share/group/): non-empty; '+' only as a whole level; '#' only
   * as the whole last level; at most maxLevels levels (no limit when maxLevels &lt;= 0). A
   * malformed share is invalid.
   */
  public static boolean isValidFilter(String filter, int maxLevels) {
    if (filter == null) {
      return false;
    }
    String f = filter;
    try {
      SharedFilter shared = parseShared(filter);
      if (shared != null) {
        f = shared.filter();
        if (!isWellFormed(filter, 0)) {
          return false;
        }
      }
    } catch (IllegalArgumentException e) {
      return false;
    }
    if (f.isEmpty() || !isWellFormed(f, maxLevels)) {
      return false;
    }
    int len = f.length();
    for (int i = 0; i < len; i++) {
      char c = f.charAt(i);
      if (c == '+' || c == '#') {
        boolean wholeLevel =
            (i == 0 || f.charAt(i - 1) == '/') && (i == len - 1 || f.charAt(i + 1) == '/');
        if (!wholeLevel || (c == '#' && i != len - 1)) {
          return false;
        }
      }
    }
    return true;
  }

  public static boolean hasWildcard(String filter) {
    return filter.indexOf('+') >= 0 || filter.indexOf('#') >= 0;
  }

  /**
   * MQTT matching of a plain filter (pass {@link SharedFilter#filter()} for a share) against a
   * topic name, incl. the rule that topics starting with '$' are not matched by filters starting
   * with '+' or '#'.
   */
  public static boolean matches(String filter, String topic) {
    int flen = filter.length();
    int tlen = topic.length();
    if (flen > 0
        && tlen > 0
        && topic.charAt(0) == '$'
        && (filter.charAt(0) == '+' || filter.charAt(0) == '#')) {
      return false;
    }
    int fi = 0;
    int ti = 0;
    while (true) {
      int fe = levelEnd(filter, fi);
      if (fe - fi == 1 && filter.charAt(fi) == '#') {
        return true; // also the parent level: "sport/#" matches "sport"
      }
      if (ti > tlen) {
        return false;
      }
      int te = levelEnd(topic, ti);
      boolean plus = fe - fi == 1 && filter.charAt(fi) == '+';
      if (!plus && !(fe - fi == te - ti && filter.regionMatches(fi, topic, ti, fe - fi))) {
        return false;
      }
      fi = fe + 1;
      ti = te + 1;
      if (fi > flen) {
        return ti > tlen;
      }
    }
  }

  /**
   * For "$share/{group}/{filter}": the parts; null when the filter is not a shared one.
   *
   * @throws IllegalArgumentException (message says why) for a malformed share: empty group, group
   *     containing + # or /, missing or empty filter
   */
  public static SharedFilter parseShared(String filter) {
    if (!filter.startsWith(SHARE_PREFIX)) {
      return null;
    }
    int start = SHARE_PREFIX.length();
    int slash = filter.indexOf('/', start);
    if (slash < 0) {
      throw new IllegalArgumentException("shared subscription without a topic filter: " + filter);
    }
    if (slash == start) {
      throw new IllegalArgumentException("shared subscription with an empty share name: " + filter);
    }
    for (int i = start; i < slash; i++) {
      char c = filter.charAt(i);
      if (c == '+' || c == '#') {
        throw new IllegalArgumentException("share name must not contain '" + c + "': " + filter);
      }
    }
    if (slash == filter.length() - 1) {
      throw new IllegalArgumentException("shared subscription with an empty topic filter: " + filter);
    }
    return new SharedFilter(filter.substring(start, slash), filter.substring(slash + 1));
  }

  /** Index of the '/' ending the level that starts at from, or the length for the last level. */
  static int levelEnd(String s, int from) {
    int end = s.indexOf('/', from);
    return end < 0 ? s.length() : end;
  }

  /** Level count, UTF-8 length, no U+0000 and no unpaired surrogate. */
  private static boolean isWellFormed(String s, int maxLevels) {
    int levels = 1;
    long bytes = 0;
    int len = s.length();
    for (int i = 0; i < len; i++) {
      char c = s.charAt(i);
      if (c == '/') {
        levels++;
        bytes++;
      } else if (c == 0) {
        return false;
      } else if (c < 0x80) {
        bytes++;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)) {
        if (i + 1 >= len || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
        bytes += 4;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      } else {
        bytes += 3;
      }
    }
    return bytes <= MAX_BYTES && (maxLevels <= 0 || levels <= maxLevels);
  }
}

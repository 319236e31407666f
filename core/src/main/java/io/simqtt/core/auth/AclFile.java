package io.simqtt.core.auth;

import io.simqtt.core.topic.Topics;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Access rules from a file in Mosquitto's acl_file syntax:
 *
 * <pre>
 * topic [read|write|readwrite|deny] FILTER      before any user line: clients without a user name
 * user NAME                                     the topic lines after it are NAME's
 * topic [read|write|readwrite|deny] FILTER
 * pattern [read|write|readwrite|deny] FILTER    every client; %c is its client id, %u its user name
 * </pre>
 *
 * The access defaults to readwrite. {@code read} allows subscribing (to filters the rule covers)
 * and receiving; {@code write} allows publishing; {@code deny} refuses both and wins over any
 * rule that allows. An action no rule allows is left to the next authorizer, and refused when
 * there is none: once a file is configured, what it does not allow is refused.
 */
public final class AclFile implements Authorizer {
  private static final int MAX_LEVELS = 32_768;
  private static final AclTree NONE = new AclTree();

  private final AclTree anonymous;
  private final Map<String, AclTree> users;
  private final AclTree patterns;
  private final int ruleCount;

  private AclFile(AclTree anonymous, Map<String, AclTree> users, AclTree patterns, int rules) {
    this.anonymous = anonymous;
    this.users = Map.copyOf(users);
    this.patterns = patterns;
    this.ruleCount = rules;
  }

  /** Reads and checks the whole file; nothing of a broken file is used. */
  public static AclFile load(Path file) throws AuthFileException {
    List<String> lines = AuthFileException.readLines(file);
    AclTree anonymous = new AclTree();
    Map<String, AclTree> users = new HashMap<>();
    AclTree patterns = new AclTree();
    AclTree current = anonymous;
    int rules = 0;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      int number = i + 1;
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] words = line.split("\\s+", 2);
      String keyword = words[0].toLowerCase(Locale.ROOT);
      String rest = words.length > 1 ? words[1] : "";
      switch (keyword) {
        case "user" -> {
          if (rest.isEmpty()) {
            throw new AuthFileException(file, number, "user needs a name");
          }
          current = users.computeIfAbsent(rest, u -> new AclTree());
        }
        case "topic", "pattern" -> {
          Rule rule = rule(file, number, keyword, rest);
          boolean pattern = keyword.equals("pattern");
          (pattern ? patterns : current).add(rule.filter, rule.bits, pattern);
          rules++;
        }
        default -> throw new AuthFileException(file, number,
            "unknown keyword " + words[0] + " (expected topic, user or pattern)");
      }
    }
    return new AclFile(anonymous, users, patterns, rules);
  }

  private record Rule(String filter, int bits) {}

  private static Rule rule(Path file, int number, String keyword, String rest)
      throws AuthFileException {
    String[] words = rest.split("\\s+", 2);
    int bits;
    String filter;
    switch (words[0].toLowerCase(Locale.ROOT)) {
      case "read" -> bits = AclTree.READ;
      case "write" -> bits = AclTree.WRITE;
      case "readwrite" -> bits = AclTree.READ | AclTree.WRITE;
      case "deny" -> bits = AclTree.DENY;
      default -> bits = -1;
    }
    if (bits < 0) {
      filter = rest; // no access word: readwrite, as in Mosquitto
      bits = AclTree.READ | AclTree.WRITE;
    } else {
      filter = words.length > 1 ? words[1] : "";
    }
    if (filter.isEmpty()) {
      throw new AuthFileException(file, number, keyword + " needs a topic filter");
    }
    if (!Topics.isValidFilter(filter, MAX_LEVELS)) {
      throw new AuthFileException(file, number, "not a valid topic filter: " + filter);
    }
    return new Rule(filter, bits);
  }

  /** topic and pattern lines read. */
  public int ruleCount() {
    return ruleCount;
  }

  @Override
  public String name() {
    return "acl-file";
  }

  @Override
  public ClientAccess accessFor(ClientIdentity client) {
    AclTree own = client.userName() == null
        ? anonymous
        : users.getOrDefault(client.userName(), NONE);
    String clientId = client.clientId();
    String userName = client.userName();
    return (action, topic, qos, retain) -> {
      boolean subscription = action == Action.SUBSCRIBE;
      String[] levels = topic.split("/", -1);
      int bits = own.bits(levels, subscription, clientId, userName)
          | patterns.bits(levels, subscription, clientId, userName);
      if ((bits & AclTree.DENY) != 0) {
        return Access.DENY;
      }
      int needed = action == Action.PUBLISH ? AclTree.WRITE : AclTree.READ;
      return (bits & needed) != 0 ? Access.ALLOW : Access.NOT_MINE;
    };
  }
}

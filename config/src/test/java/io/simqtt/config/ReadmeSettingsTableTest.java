package io.simqtt.config;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README's settings table is what operators read first: it must name every key. */
class ReadmeSettingsTableTest {

  /**
   * A table row's first cell: `a.b.c` or `a.b.c` / `.d` (a sibling of the previous key); keys may
   * hold digits (max-session-expiry-v3).
   */
  private static final Pattern ROW =
      Pattern.compile("^\\| `([a-z0-9.-]+)`((?: / `\\.[a-z0-9-]+`)*) \\|");
  private static final Pattern SIBLING = Pattern.compile("`\\.([a-z0-9-]+)`");

  @Test
  void everyKeyIsInTheReadmeTable() throws Exception {
    Path readme = Path.of("..", "README.md");
    Set<String> documented = new HashSet<>();
    for (String line : Files.readAllLines(readme)) {
      Matcher row = ROW.matcher(line);
      if (!row.find()) {
        continue;
      }
      String key = row.group(1);
      documented.add(key);
      Matcher sibling = SIBLING.matcher(row.group(2));
      while (sibling.find()) {
        documented.add(key.substring(0, key.lastIndexOf('.') + 1) + sibling.group(1));
      }
    }
    for (String key : SettingsLoader.knownKeys()) {
      assertTrue(documented.contains(key), key + " is missing from the README settings table");
    }
  }
}

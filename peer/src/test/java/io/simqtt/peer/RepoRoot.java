package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The repository the tests run in, and what {@code package} left in it for the scripts. */
final class RepoRoot {
  private RepoRoot() {}

  static Path find() throws IOException {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("bin/start-node.sh"))) {
        return p;
      }
    }
    throw new IOException("bin/start-node.sh not found above " + Path.of("").toAbsolutePath());
  }

  /**
   * Fails unless the node is packaged: the scripts would otherwise start a nested Maven build.
   * Failsafe runs the *IT classes after package, so this holds in {@code mvn verify}.
   */
  static Path packaged() throws IOException {
    Path root = find();
    assertTrue(Files.isRegularFile(root.resolve("peer/target/simqtt-node.jar"))
            && Files.isDirectory(root.resolve("peer/target/lib")),
        "peer/target/simqtt-node.jar and lib/ missing: run the *IT classes with mvn verify");
    return root;
  }
}

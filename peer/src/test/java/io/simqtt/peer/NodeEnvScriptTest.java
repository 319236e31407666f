package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/node-env.sh's build decision, in a scratch tree with a stand-in {@code mvn}: a checkout
 * builds when the jar is missing or older than a source, a release never does. And the JVM
 * options it picks for the Java it finds.
 */
class NodeEnvScriptTest {
  private static final Instant BUILT = Instant.parse("2026-01-02T00:00:00Z");

  @TempDir Path root;

  private void file(String path, Instant modified) throws Exception {
    Path p = root.resolve(path);
    Files.createDirectories(p.getParent());
    Files.writeString(p, "x");
    Files.setLastModifiedTime(p, FileTime.from(modified));
  }

  /** Runs ensure_built with a stand-in ./mvnw that only says it ran. */
  private ChildProcess ensureBuilt() throws Exception {
    Path bin = Files.createDirectories(root.resolve("bin"));
    Files.copy(RepoRoot.find().resolve("bin/node-env.sh"), bin.resolve("node-env.sh"),
        StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(root.resolve("mvnw"), "#!/bin/sh\necho mvn-ran\n");
    root.resolve("mvnw").toFile().setExecutable(true);
    ChildProcess p = ChildProcess.start(List.of("bash", "-c",
            "source \"$1/bin/node-env.sh\" && ensure_built test-script", "sh", root.toString()),
        Map.of());
    assertEquals(0, p.awaitExit(30), p.stderr());
    return p;
  }

  private void checkoutBuiltAt(Instant when) throws Exception {
    file("pom.xml", BUILT.minusSeconds(60));
    file("core/src/main/java/A.java", BUILT.minusSeconds(60));
    file("core/src/test/java/ATest.java", BUILT.plusSeconds(60)); // tests do not count
    file("core/target/classes/A.class", BUILT.plusSeconds(60)); // nor build output
    file("peer/target/simqtt-node.jar", when);
    Files.createDirectories(root.resolve("peer/target/lib"));
  }

  @Test
  void upToDateCheckoutIsNotRebuilt() throws Exception {
    checkoutBuiltAt(BUILT);
    try (ChildProcess p = ensureBuilt()) {
      assertEquals(List.of(), p.stdoutLines());
    }
  }

  @Test
  void sourceNewerThanTheJarRebuilds() throws Exception {
    checkoutBuiltAt(BUILT);
    file("peer/src/main/java/B.java", BUILT.plusSeconds(1));
    try (ChildProcess p = ensureBuilt()) {
      assertEquals(List.of("mvn-ran"), p.stdoutLines());
      assertTrue(p.stderr().contains("test-script: sources changed since the last build"),
          p.stderr());
    }
  }

  @Test
  void missingJarBuilds() throws Exception {
    file("pom.xml", BUILT);
    try (ChildProcess p = ensureBuilt()) {
      assertEquals(List.of("mvn-ran"), p.stdoutLines());
      assertTrue(p.stderr().contains("test-script: no build found"), p.stderr());
    }
  }

  @Test
  void releaseNeverBuilds() throws Exception {
    file("lib/simqtt-node.jar", BUILT);
    file("pom.xml", BUILT.plusSeconds(60)); // even beside newer files
    try (ChildProcess p = ensureBuilt()) {
      assertEquals(List.of(), p.stdoutLines());
      assertFalse(p.stderr().contains("building"), p.stderr());
    }
  }

  /** NODE_JAVA_OPTS as node-env.sh sets it with JAVA_HOME at a stand-in JVM. */
  private String nodeJavaOpts(String javaScript, Map<String, String> env) throws Exception {
    file("pom.xml", BUILT);
    Path bin = Files.createDirectories(root.resolve("bin"));
    Files.copy(RepoRoot.find().resolve("bin/node-env.sh"), bin.resolve("node-env.sh"),
        StandardCopyOption.REPLACE_EXISTING);
    Path java = Files.createDirectories(root.resolve("jdk/bin")).resolve("java");
    Files.writeString(java, "#!/bin/sh\n" + javaScript + "\n");
    java.toFile().setExecutable(true);
    Map<String, String> all = new java.util.HashMap<>(env);
    all.put("JAVA_HOME", root.resolve("jdk").toString());
    try (ChildProcess p = ChildProcess.start(List.of("bash", "-c",
            "source \"$1/bin/node-env.sh\" && echo \"$NODE_JAVA_OPTS\"", "sh", root.toString()),
        all)) {
      assertEquals(0, p.awaitExit(30), p.stderr());
      return String.join("\n", p.stdoutLines());
    }
  }

  /** A JVM that takes the option (Java 25+) runs with it; one that refuses it (17, 24) not. */
  @Test
  void compactObjectHeadersWhereTheJavaFoundTakesThem() throws Exception {
    String takes = "case \"$*\" in *UseCompactObjectHeaders*-version*) exit 0;; esac; exit 1";
    String refuses = "echo 'Unrecognized VM option' >&2; exit 1";
    assertEquals("-XX:+UseParallelGC -Xmn32m -XX:+UseCompactObjectHeaders",
        nodeJavaOpts(takes, Map.of()));
    assertEquals("-XX:+UseParallelGC -Xmn32m", nodeJavaOpts(refuses, Map.of()));
    assertEquals("-XX:+UseG1GC", nodeJavaOpts(takes, Map.of("JAVA_OPTS", "-XX:+UseG1GC")));
  }
}

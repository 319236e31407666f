package io.simqtt.core.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A program of another project (a client library's check, a compiler) run to its end as a real
 * process, with everything it printed; killed past its time limit. Output goes to a file rather
 * than a pipe, so a program that prints much cannot block on a full pipe, and what it printed
 * before it was killed is still there.
 *
 * @param finished whether it ended within the limit
 * @param exit its exit code, -1 when it was killed
 * @param out what it printed on stdout and stderr, trimmed
 */
record ExternalRun(boolean finished, int exit, String out) {

  /** Whether it ended within its limit with exit code 0. */
  boolean succeeded() {
    return finished && exit == 0;
  }

  /**
   * Runs {@code command}, its output into a new file in {@code dir}.
   *
   * @throws IOException when the program cannot be started (not installed)
   */
  static ExternalRun of(Path dir, Duration limit, List<String> command)
      throws IOException, InterruptedException {
    Path output = Files.createTempFile(dir, "run", ".out");
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(output.toFile()).start();
    boolean finished = process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
    if (!finished) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
    String out = Files.readString(output, StandardCharsets.UTF_8).trim();
    return new ExternalRun(finished, finished ? process.exitValue() : -1, out);
  }

  /** The checkout's root: the nearest directory at or above the working one with {@code dir}. */
  static Path repoRoot(String dir) throws IOException {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve(dir))) {
        return p;
      }
    }
    throw new IOException(dir + " not found above " + Path.of("").toAbsolutePath());
  }
}

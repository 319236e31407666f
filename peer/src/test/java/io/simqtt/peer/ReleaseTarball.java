package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The release tarball that {@code package} built, unpacked as an operator would, and an
 * environment in which Maven cannot run: a {@code mvn} first on the PATH that records being
 * called and fails, so a script that tried to build would be caught.
 */
final class ReleaseTarball {
  private ReleaseTarball() {}

  /** Unpacks target/si-mqtt-*.tar.gz under {@code dir}; returns the release's top directory. */
  static Path unpack(Path dir) throws Exception {
    Path target = RepoRoot.packaged().resolve("peer/target");
    Path tarball;
    try (Stream<Path> files = Files.list(target)) {
      tarball = files.filter(p -> p.getFileName().toString().matches("si-mqtt-.+\\.tar\\.gz"))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no si-mqtt-*.tar.gz in " + target));
    }
    try (ChildProcess tar = ChildProcess.start(
        List.of("tar", "xzf", tarball.toString(), "-C", dir.toString()), Map.of())) {
      assertEquals(0, tar.awaitExit(60), "tar: " + tar.stderr());
    }
    String top = tarball.getFileName().toString().replace(".tar.gz", "");
    return dir.resolve(top);
  }

  /** PATH with a failing {@code mvn} first; {@link #mavenCalled} tells whether it ran. */
  static Map<String, String> withoutMaven(Path dir) throws IOException {
    Path bin = Files.createDirectories(dir.resolve("no-maven"));
    Path mvn = bin.resolve("mvn");
    Files.writeString(mvn, "#!/bin/sh\ntouch \"" + bin.resolve("mvn-was-called")
        + "\"\necho 'mvn must not run from a release' >&2\nexit 97\n");
    Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));
    return Map.of("PATH", bin + ":" + System.getenv("PATH"));
  }

  static boolean mavenCalled(Path dir) {
    return Files.exists(dir.resolve("no-maven/mvn-was-called"));
  }
}

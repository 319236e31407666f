package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * examples/systemd/si-mqtt.service as systemd reads it: {@code systemd-analyze verify} accepts it
 * without a warning, with its paths pointing into an unpacked release (verify checks that
 * ExecStart exists and is executable). .ci/run installs the systemd package for the command.
 */
class SystemdUnitIT {
  private static final String INSTALL_DIR = "/opt/si-mqtt";

  @TempDir Path dir;

  @Test
  void systemdAcceptsTheUnitAsShipped() throws Exception {
    Path release = ReleaseTarball.unpack(dir);
    String unit = Files.readString(RepoRoot.find().resolve("examples/systemd/si-mqtt.service"));
    assertTrue(unit.contains("ExecStart=" + INSTALL_DIR + "/bin/start-node.sh"), unit);
    for (String line : List.of("User=si-mqtt", "Restart=on-failure", "KillSignal=SIGTERM",
        "RestartPreventExitStatus=2", "Environment=SI_CFG_PATH=/etc/si-mqtt/node.conf")) {
      assertTrue(unit.lines().anyMatch(line::equals), line + " in the unit");
    }
    assertTrue(unit.lines().anyMatch(l -> l.matches("LimitNOFILE=\\d{6,}")), "LimitNOFILE raised");
    assertTrue(unit.lines().anyMatch(l -> l.matches("TimeoutStopSec=\\d+")), "stop timeout");
    // The release in the copy must be the one in the tarball: verify checks ExecStart's file.
    assertTrue(Files.isRegularFile(release.resolve("examples/systemd/si-mqtt.service")));

    Path copy = Files.writeString(dir.resolve("si-mqtt.service"),
        unit.replace(INSTALL_DIR, release.toString()));
    try (ChildProcess verify = ChildProcess.start(
        List.of("systemd-analyze", "verify", copy.toString()), Map.of())) {
      int exit = verify.awaitExit(60);
      String out = String.join("\n", verify.stdoutLines()) + verify.stderr();
      assertEquals(0, exit, "systemd-analyze verify: " + out);
      assertEquals("", out.strip(), "systemd-analyze verify warns");
    }
  }
}

package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/start-node.sh itself, run by failsafe once package has built the node. */
class StartNodeScriptIT {

  @TempDir Path dir;

  @Test
  void scriptReportsBadConfig() throws Exception {
    Path root = RepoRoot.packaged();
    Path conf = Files.writeString(dir.resolve("bad.conf"), "mqtt.sessions.max-inflight = 0\n");
    try (ChildProcess node = ChildProcess.start(
        List.of("bash", root.resolve("bin/start-node.sh").toString(), "--config", conf.toString()),
        Map.of())) {
      assertEquals(2, node.awaitExit(30));
      assertTrue(node.stderr().startsWith(
          "si-mqtt: config error: mqtt.sessions.max-inflight = 0"), node.stderr());
    }
  }
}

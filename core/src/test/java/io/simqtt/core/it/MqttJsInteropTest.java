package io.simqtt.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * MQTT.js, the library inside MQTTX, against the broker: interop/mqttjs/roundtrip.js publishes
 * at every QoS, retained, with MQTT 5 properties and a client topic alias, and checks what its
 * subscribers get. Needs node and `npm ci --prefix interop/mqttjs` (`.ci/run` does it); without
 * them the class fails, unless SIMQTT_SKIP_MQTTJS=1 says to skip it.
 */
class MqttJsInteropTest {
  private static BrokerFixture f;
  private static Path script;

  @BeforeAll
  static void start() throws IOException {
    if ("1".equals(System.getenv("SIMQTT_SKIP_MQTTJS"))) {
      Assumptions.abort("SIMQTT_SKIP_MQTTJS=1");
    }
    Path dir = repoRoot().resolve("interop/mqttjs");
    script = dir.resolve("roundtrip.js");
    if (!Files.isDirectory(dir.resolve("node_modules/mqtt"))) {
      fail(
          "MQTT.js is not installed: run `npm ci --prefix interop/mqttjs` (needs node and npm)"
              + " or set SIMQTT_SKIP_MQTTJS=1 to skip");
    }
    f = BrokerFixture.start();
  }

  @AfterAll
  static void stop() {
    if (f != null) {
      f.close();
    }
  }

  @ParameterizedTest(name = "protocol version {0}")
  @ValueSource(ints = {4, 5})
  void roundTrip(int protocolVersion) throws Exception {
    String port = Integer.toString(f.port());
    Process node =
        new ProcessBuilder("node", script.toString(), port, Integer.toString(protocolVersion))
            .redirectErrorStream(true)
            .start();
    assertTrue(node.waitFor(20, TimeUnit.SECONDS), "roundtrip.js finished");
    String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertEquals(0, node.exitValue(), out);
    assertTrue(out.endsWith("\"ok\":true,\"failures\":[]}"), out);
  }

  private static Path repoRoot() throws IOException {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("interop/mqttjs"))) {
        return p;
      }
    }
    throw new IOException("interop/mqttjs not found above " + Path.of("").toAbsolutePath());
  }
}

package io.simqtt.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * MQTT.js, the library inside MQTTX, against the broker over TCP, WebSocket and secure WebSocket
 * (a CA made at test time): interop/mqttjs/roundtrip.js publishes at every QoS, retained, with
 * MQTT 5 properties and a client topic alias, and checks what its subscribers get. Needs node and `npm ci --prefix interop/mqttjs` (`.ci/run` does it); without
 * them the class fails, unless SIMQTT_SKIP_MQTTJS=1 says to skip it.
 */
class MqttJsInteropTest {
  private static BrokerFixture f;
  private static Path script;
  private static TestPki.Ca ca;
  @TempDir static Path certs;

  @BeforeAll
  static void start() throws IOException {
    if ("1".equals(System.getenv("SIMQTT_SKIP_MQTTJS"))) {
      Assumptions.abort("SIMQTT_SKIP_MQTTJS=1");
    }
    Path dir = ExternalRun.repoRoot("interop/mqttjs").resolve("interop/mqttjs");
    script = dir.resolve("roundtrip.js");
    if (!Files.isDirectory(dir.resolve("node_modules/mqtt"))) {
      fail(
          "MQTT.js is not installed: run `npm ci --prefix interop/mqttjs` (needs node and npm)"
              + " or set SIMQTT_SKIP_MQTTJS=1 to skip");
    }
    ca = new TestPki(certs).ca("mqttjs");
    TestPki.Issued server = ca.server("broker");
    f = BrokerFixture.startWithEveryTransport(server);
  }

  @AfterAll
  static void stop() {
    if (f != null) {
      f.close();
    }
  }

  @ParameterizedTest(name = "{0}, protocol version {1}")
  @CsvSource({"tcp, 4", "tcp, 5", "ws, 4", "ws, 5", "wss, 4", "wss, 5"})
  void roundTrip(String listener, int protocolVersion) throws Exception {
    int port = f.broker().listener(listener).address().getPort();
    String target = switch (listener) {
      case "ws" -> "ws://127.0.0.1:" + port + "/mqtt";
      case "wss" -> "wss://localhost:" + port + "/mqtt";
      default -> Integer.toString(port);
    };
    ExternalRun run = ExternalRun.of(certs, Duration.ofSeconds(20), List.of("node",
        script.toString(), target, Integer.toString(protocolVersion), ca.cert().toString()));
    assertTrue(run.finished(), "roundtrip.js finished: " + run.out());
    assertEquals(0, run.exit(), run.out());
    String out = run.out();
    assertTrue(out.endsWith("\"ok\":true,\"failures\":[]}"), out);
  }
}

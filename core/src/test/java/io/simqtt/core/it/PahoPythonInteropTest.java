package io.simqtt.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Paho Python (paho-mqtt 1.6.1) against the broker over TCP, TLS, WebSocket and secure WebSocket
 * (a CA made at test time), MQTT 3.1.1 and 5: interop/paho-python/roundtrip.py, run as a real
 * process, checks what a Paho Python user relies on (QoS 0/1/2, retained messages, wills, a
 * persistent session; on MQTT 5 also properties, request/response, message expiry, a shared
 * subscription, subscription identifiers and options; its header has the list). Runs the python3
 * on the PATH if it imports paho-mqtt 1.x, else Debian's /usr/bin/python3 (python3-paho-mqtt, which
 * bin/test.sh installs, serves that one only: a pyenv or venv python3 ahead of it on the PATH does
 * not see it); with neither the class fails, unless SIMQTT_SKIP_PAHO_PYTHON=1 says to skip it.
 */
class PahoPythonInteropTest {
  private static final String INSTALL =
      "; install python3-paho-mqtt (apt-get; bin/test.sh does it), or set"
          + " SIMQTT_SKIP_PAHO_PYTHON=1 to skip";
  /** The python3 on the PATH first: a venv with paho-mqtt from pip is the user's choice. */
  private static final List<String> INTERPRETERS = List.of("python3", "/usr/bin/python3");
  private static BrokerFixture f;
  private static String interpreter;
  private static Path script;
  private static TestPki.Ca ca;
  @TempDir static Path files;

  @BeforeAll
  static void start() throws Exception {
    if ("1".equals(System.getenv("SIMQTT_SKIP_PAHO_PYTHON"))) {
      Assumptions.abort("SIMQTT_SKIP_PAHO_PYTHON=1");
    }
    script = ExternalRun.repoRoot("interop/paho-python")
        .resolve("interop/paho-python/roundtrip.py");
    List<String> said = new ArrayList<>();
    for (String candidate : INTERPRETERS) {
      // roundtrip.py is written against paho-mqtt 1.x, whose Client and callbacks 2.x changed.
      ExternalRun paho = python(candidate, "-c", "import sys; print(sys.executable);"
          + " import paho.mqtt, paho.mqtt.client; v = paho.mqtt.__version__;"
          + " sys.exit(0 if v.startswith('1.') else 'paho-mqtt ' + v + ', not 1.x')");
      if (paho.succeeded()) {
        interpreter = candidate;
        break;
      }
      List<String> lines = paho.out().lines().toList();
      said.add(lines.isEmpty() ? candidate + ": no output"
          : lines.get(0) + ": " + lines.get(lines.size() - 1));
    }
    if (interpreter == null) {
      fail("no python3 imports paho-mqtt 1.x (" + String.join("; ", said) + ")" + INSTALL);
    }
    ca = new TestPki(files).ca("paho-python");
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
  @CsvSource({"tcp, 4", "tcp, 5", "tls, 4", "tls, 5", "ws, 4", "ws, 5", "wss, 4", "wss, 5"})
  void roundTrip(String listener, int protocolVersion) throws Exception {
    int port = f.broker().listener(listener).address().getPort();
    String target = switch (listener) {
      case "tls" -> "mqtts://localhost:" + port;
      case "ws" -> "ws://127.0.0.1:" + port + "/mqtt";
      case "wss" -> "wss://localhost:" + port + "/mqtt";
      default -> Integer.toString(port);
    };
    ExternalRun run = python(interpreter, script.toString(), target,
        Integer.toString(protocolVersion), ca.cert().toString());
    assertTrue(run.finished(), "roundtrip.py finished within 60 s: " + run.out());
    assertEquals(0, run.exit(), run.out());
    assertTrue(run.out().endsWith("\"ok\": true, \"failures\": []}"), run.out());
  }

  /**
   * Runs {@code python} with {@code args}, for at most 60 s (roundtrip.py gives up at 45); one that
   * cannot be started ran as a failure saying so.
   */
  private static ExternalRun python(String python, String... args) throws InterruptedException {
    List<String> command = new ArrayList<>(List.of(python));
    command.addAll(List.of(args));
    try {
      return ExternalRun.of(files, Duration.ofSeconds(60), command);
    } catch (IOException e) {
      return new ExternalRun(true, -1, python + ": " + e.getMessage());
    }
  }
}

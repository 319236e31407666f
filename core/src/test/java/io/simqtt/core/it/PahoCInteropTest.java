package io.simqtt.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Paho C, the Eclipse C client library, against the broker over TCP and TLS (a CA made at test
 * time), MQTT 3.1.1 and 5: interop/paho-c/check.c, compiled here against the Debian package
 * libpaho-mqtt-dev, runs one scenario a process (QoS 0/1/2 both ways, retained and its clearing,
 * a will on SIGKILL, a resumed persistent session, MQTT 5 properties with request/response, a
 * shared subscription) and checks what its clients get. Needs gcc, libc6-dev and
 * libpaho-mqtt-dev (bin/test.sh installs them); without them the class fails, unless
 * SIMQTT_SKIP_PAHO_C=1 says to skip it.
 */
class PahoCInteropTest {
  private static final String INSTALL =
      "apt-get install gcc libc6-dev libpaho-mqtt-dev (bin/test.sh does it)"
          + " or set SIMQTT_SKIP_PAHO_C=1 to skip";
  private static BrokerFixture f;
  private static Path check;
  private static TestPki.Ca ca;
  @TempDir static Path certs;

  @BeforeAll
  static void start() throws Exception {
    if ("1".equals(System.getenv("SIMQTT_SKIP_PAHO_C"))) {
      Assumptions.abort("SIMQTT_SKIP_PAHO_C=1");
    }
    Files.createDirectories(Path.of("target/paho-c"));
    check = Path.of("target/paho-c/check").toAbsolutePath();
    compile(ExternalRun.repoRoot("interop/paho-c").resolve("interop/paho-c/check.c"), check);
    ca = new TestPki(certs).ca("pahoc");
    TestPki.Issued server = ca.server("broker");
    f = BrokerFixture.startWithEveryTransport(server);
  }

  @AfterAll
  static void stop() {
    if (f != null) {
      f.close();
    }
  }

  static Stream<Arguments> runs() {
    return Stream.of("qos", "retained", "will", "session", "properties", "shared")
        .flatMap(scenario -> Stream.of(4, 5)
            .filter(version -> version == 5 || !scenario.equals("properties"))
            .flatMap(version -> Stream.of("tcp", "tls")
                .map(listener -> Arguments.of(scenario, version, listener))));
  }

  @ParameterizedTest(name = "{0}, protocol version {1}, {2}")
  @MethodSource("runs")
  void scenario(String scenario, int version, String listener) throws Exception {
    int port = f.broker().listener(listener).address().getPort();
    String uri = listener.equals("tls") ? "ssl://localhost:" + port : "tcp://127.0.0.1:" + port;
    ExternalRun run = ExternalRun.of(certs, Duration.ofSeconds(60),
        List.of(check.toString(), uri, Integer.toString(version), ca.cert().toString(), scenario));
    assertTrue(run.finished(), "check " + scenario + " finished: " + run.out());
    assertEquals(0, run.exit(), run.out());
    assertEquals("ok", run.out(), "every check held");
  }

  private static void compile(Path source, Path binary) throws Exception {
    ExternalRun gcc;
    try {
      gcc = ExternalRun.of(certs, Duration.ofSeconds(60), List.of("gcc", "-std=c11", "-Wall",
          "-Wextra", "-Werror", "-O1", "-o", binary.toString(), source.toString(),
          "-lpaho-mqtt3cs"));
    } catch (IOException e) {
      fail("gcc not found: " + INSTALL);
      return;
    }
    if (!gcc.succeeded()) {
      fail("could not compile " + source + " against Paho C: " + INSTALL + "\n" + gcc.out());
    }
  }
}

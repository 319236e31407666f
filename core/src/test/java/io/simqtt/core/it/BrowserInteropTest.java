package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.hiveConnected;
import static io.simqtt.core.it.Clients.hiveBuilder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A real browser: headless Chromium loads interop/browser/roundtrip.html, whose MQTT.js browser
 * build connects over ws:// or wss://, subscribes, publishes at every QoS, receives, and
 * publishes its verdict, which this test reads with its own client. For wss:// Chromium trusts
 * exactly the test's server key (--ignore-certificate-errors-spki-list with its SHA-256), not
 * any certificate. Needs the Debian chromium package and MQTT.js (bin/test.sh installs both);
 * without them the class fails, unless SIMQTT_SKIP_BROWSER=1 says to skip it.
 */
class BrowserInteropTest {
  @TempDir static Path dir;
  private static BrokerFixture f;
  private static Path page;
  private static String serverKeyPin;

  @BeforeAll
  static void start() throws Exception {
    if ("1".equals(System.getenv("SIMQTT_SKIP_BROWSER"))) {
      Assumptions.abort("SIMQTT_SKIP_BROWSER=1");
    }
    if (chromium().isEmpty()) {
      fail("chromium is not installed: apt-get install chromium (bin/test.sh does it)"
          + " or set SIMQTT_SKIP_BROWSER=1 to skip");
    }
    Path root = ExternalRun.repoRoot("interop/browser");
    page = root.resolve("interop/browser/roundtrip.html");
    if (!Files.isRegularFile(root.resolve("interop/mqttjs/node_modules/mqtt/dist/mqtt.min.js"))) {
      fail("MQTT.js is not installed: run `npm ci --prefix interop/mqttjs`");
    }
    TestPki.Issued server = new TestPki(dir).ca("browser").server("broker");
    serverKeyPin = spkiSha256(server.cert());
    f = BrokerFixture.startWithEveryTransport(server);
  }

  @AfterAll
  static void stop() {
    if (f != null) {
      f.close();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"ws", "wss"})
  void theBrowserPublishesAndReceives(String listener) throws Exception {
    int port = f.broker().listener(listener).address().getPort();
    String tag = listener + System.nanoTime();
    Mqtt5BlockingClient watcher = hiveConnected(hiveBuilder(f, "watch-" + tag));
    watcher.subscribeWith().topicFilter("browser/" + tag + "/result").qos(MqttQos.AT_LEAST_ONCE)
        .send();
    var results = watcher.publishes(MqttGlobalPublishFilter.SUBSCRIBED);
    String url = listener + "://127.0.0.1:" + port + "/mqtt";
    List<String> command = new ArrayList<>(List.of(chromium().get().toString(),
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + Files.createTempDirectory(dir, "profile"),
        "--ignore-certificate-errors-spki-list=" + serverKeyPin,
        page.toUri() + "?url=" + URLEncoder.encode(url, StandardCharsets.UTF_8) + "&tag=" + tag));
    Process browser = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve("chromium-" + tag + ".log").toFile()).start();
    try {
      Optional<Mqtt5Publish> result = results.receive(60, TimeUnit.SECONDS);
      assertEquals("ok", result.map(Clients::text).orElse("no result from the page in 60 s; log: "
          + Files.readString(dir.resolve("chromium-" + tag + ".log"))));
    } finally {
      browser.destroy();
      if (!browser.waitFor(10, TimeUnit.SECONDS)) {
        browser.destroyForcibly();
      }
      watcher.disconnect();
    }
  }

  private static Optional<Path> chromium() {
    for (String name : List.of("chromium", "chromium-browser", "chromium-headless-shell")) {
      for (String dirName : System.getenv().getOrDefault("PATH", "").split(":")) {
        Path p = Path.of(dirName, name);
        if (Files.isExecutable(p)) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }

  /** Base64 SHA-256 of the certificate's SubjectPublicKeyInfo, as Chromium's pin list takes it. */
  private static String spkiSha256(Path cert) throws Exception {
    try (InputStream in = Files.newInputStream(cert)) {
      X509Certificate c =
          (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
      return Base64.getEncoder().encodeToString(
          MessageDigest.getInstance("SHA-256").digest(c.getPublicKey().getEncoded()));
    }
  }
}

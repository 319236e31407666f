package io.simqtt.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.config.SettingsLoader;
import io.simqtt.core.Broker;
import io.simqtt.core.it.TestPki;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The load tool over TLS, WebSocket and secure WebSocket (--tls with --ca, --ws): a seconds-long
 * QoS 1 fan-in loses and duplicates nothing. No timing assertions.
 */
class LoadTransportsSmokeTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "{0}")
  @CsvSource({"tls, true, ", "ws, false, /mqtt", "wss, true, /mqtt"})
  void fanInQos1OverEachTransport(String listener, boolean tls, String ws) throws Exception {
    TestPki.Ca ca = new TestPki(dir).ca("load");
    TestPki.Issued cert = ca.server("broker");
    try (Broker broker = new Broker(SettingsLoader.fromString(
        "mqtt.listeners.tcp { host = \"127.0.0.1\", port = 0 }\n"
            + "mqtt.listeners." + listener + " { enabled = true, host = 127.0.0.1, port = 0 }\n"
            + "mqtt.tls { cert-file = \"" + cert.cert() + "\", key-file = \"" + cert.key()
            + "\" }\n"))) {
      broker.start();
      LoadOptions o = new LoadOptions();
      o.scenario = Scenario.FAN_IN;
      o.port = broker.listener(listener).address().getPort();
      o.ca = tls ? ca.cert().toString() : null;
      o.ws = ws;
      o.qos = 1;
      o.warmupSeconds = 0.2;
      o.durationSeconds = 1;
      o.drainSeconds = 10;
      o.count = 5_000;
      o.threads = 2;
      LoadResult r = LoadRunner.run(o);
      assertNull(r.error(), r.error());
      assertTrue(r.sent() > 0, "nothing sent");
      assertEquals(r.expected(), r.delivered(), "delivered");
      assertEquals(0, r.lost(), "lost");
      assertEquals(0, r.duplicates(), "duplicates");
    }
  }
}

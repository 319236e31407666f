package io.simqtt.peer.admin;

import static io.simqtt.core.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.config.SettingsLoader;
import io.simqtt.core.Broker;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.it.RawClient;
import io.simqtt.core.it.TestPki;
import io.simqtt.peer.metrics.MetricsServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API and the metrics endpoint over TLS, and what they say about listeners: bin/admin.sh
 * status (AdminCli) with --ca lists every listener with its connections and failed TLS handshakes
 * by reason; /metrics over HTTPS counts connections by listener and handshake failures by reason.
 */
class OperationsOverTlsTest {
  @TempDir Path dir;

  @Test
  void statusAndMetricsOverTlsShowEveryListener() throws Exception {
    TestPki.Ca ca = new TestPki(dir).ca("ops");
    TestPki.Issued cert = ca.server("node");
    String files = "cert-file = \"" + cert.cert() + "\", key-file = \"" + cert.key() + "\"";
    Broker broker = new Broker(SettingsLoader.fromString(
        "mqtt.listeners.tcp { host = \"127.0.0.1\", port = 0 }\n"
            + "mqtt.listeners.tls { enabled = true, host = \"127.0.0.1\", port = 0 }\n"
            + "mqtt.tls { " + files + " }\n"
            + "admin { port = 0, token = \"" + AdminTestNode.TOKEN + "\", tls { enabled = true, "
            + files + " } }\n"
            + "metrics { port = 0, tls { enabled = true, " + files + " } }\n"
            + "mqtt.sys.interval = 0\n"));
    AdminServer admin = AdminServer.create(broker, null, "test");
    MetricsServer metrics = new MetricsServer(broker, null, 0);
    try (broker; admin; metrics) {
      broker.start();
      admin.start();
      metrics.start(broker.settings().metrics().listen(), broker.settings().metrics().tls());
      // One plain MQTT connection to the TLS port: a failed handshake, reason not_tls.
      try (RawClient c = RawClient.open("127.0.0.1",
          broker.listener("tls").address().getPort(), MqttVersion.MQTT_5)) {
        c.sendRaw(new byte[] {0x10, 0x10, 0, 4, 'M', 'Q', 'T', 'T', 5, 2, 0, 0, 0, 0, 0, 0, 0, 0});
        c.expectSilentClose(Duration.ofSeconds(5));
      }
      try (RawClient c = RawClient.open("127.0.0.1", broker.mqttAddress().getPort(),
          MqttVersion.MQTT_5)) {
        c.connect("held-open");
        String node = "127.0.0.1:" + admin.address().getPort();
        String status = cli("status", "--node", node, "--token", AdminTestNode.TOKEN,
            "--ca", ca.cert().toString());
        assertTrue(status.matches("(?s).*n1 +tcp +tcp +tcp://127\\.0\\.0\\.1:\\d+ +1 +1 +- *\n.*"),
            status);
        assertTrue(status.matches("(?s).*n1 +tls +tls +ssl://127\\.0\\.0\\.1:\\d+ +0 +1 +"
            + "not_tls=1 *\n.*"), status);
        // Plain gRPC to the TLS admin port fails.
        assertNotEquals(0, AdminCli.run(new String[] {"status", "--node", node, "--token",
            AdminTestNode.TOKEN}, new PrintWriter(new StringWriter()),
            new PrintWriter(new StringWriter())));

        HttpClient https = HttpClient.newBuilder()
            .sslContext(TestPki.clientContext(ca.cert(), null)).build();
        String text = https.send(HttpRequest.newBuilder(URI.create(
                "https://127.0.0.1:" + metrics.port() + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(text.contains("simqtt_listener_connections{listener=\"tcp\",type=\"tcp\"} 1.0"),
            text);
        assertTrue(text.contains(
            "simqtt_tls_handshake_failures_total{listener=\"tls\",reason=\"not_tls\"} 1.0"), text);
        assertTrue(text.contains("simqtt_listener_connections_opened_total{listener=\"tls\"} 1.0"),
            text);
      }
      await("the held connection is gone", () -> broker.listener("tcp").connections() == 0);
      assertEquals(0, broker.listener("tls").connections());
    }
  }

  private static String cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = AdminCli.run(args, new PrintWriter(out), new PrintWriter(err));
    assertEquals(0, code, "stderr: " + err);
    return out.toString();
  }
}

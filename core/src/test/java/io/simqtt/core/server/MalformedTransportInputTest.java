package io.simqtt.core.server;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.RawClient.connectPacket;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.it.BrokerFixture;
import io.simqtt.core.it.LeakWatch;
import io.simqtt.core.it.RawClient;
import io.simqtt.core.it.TestPki;
import io.simqtt.core.it.WsClient;
import io.simqtt.core.server.tls.HandshakeFailures.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malformed input on each transport: garbage before the HTTP upgrade, a WebSocket text frame,
 * an oversized frame, a TLS client hello to the TCP port, plain MQTT to the TLS ports. Each is
 * answered or closed within a bound, the node serves a real client on every listener afterwards,
 * and no buffer leaks (Netty's leak detector at PARANOID).
 */
class MalformedTransportInputTest {
  private static final Duration BOUND = Duration.ofSeconds(5);

  @TempDir Path dir;

  @Test
  void everyTransportAnswersOrClosesCleanlyAndLeaksNothing() throws Exception {
    TestPki.Ca ca = new TestPki(dir).ca("malformed");
    TestPki.Issued server = ca.server("broker");
    SSLContext tls = TestPki.clientContext(ca.cert(), null);
    try (LeakWatch leaks = LeakWatch.start();
        BrokerFixture f = BrokerFixture.start(
            "mqtt.listeners.tls { enabled = true, host = 127.0.0.1, port = 0 }\n"
                + "mqtt.listeners.ws { enabled = true, host = 127.0.0.1, port = 0 }\n"
                + "mqtt.listeners.wss { enabled = true, host = 127.0.0.1, port = 0 }\n"
                + "mqtt.tls { cert-file = \"" + server.cert() + "\", key-file = \""
                + server.key() + "\" }\n"
                + "mqtt.limits.max-packet-size = 4096\n")) {
      int tcp = f.port();
      int tlsPort = f.broker().listener("tls").address().getPort();
      int ws = f.broker().listener("ws").address().getPort();
      int wss = f.broker().listener("wss").address().getPort();

      // Garbage before the upgrade: 400, then closed; over TLS too.
      assertTrue(exchange(new Socket("127.0.0.1", ws), "\u0010\u0013junk\r\n\r\n")
          .startsWith("HTTP/1.1 400 "));
      assertTrue(exchange(tls.getSocketFactory().createSocket("127.0.0.1", wss),
          "not http at all\r\n\r\n").startsWith("HTTP/1.1 400 "));
      // A GET that is no upgrade, on the right path: refused, closed.
      assertTrue(exchange(new Socket("127.0.0.1", ws),
          "GET /mqtt HTTP/1.1\r\nHost: x\r\n\r\n").startsWith("HTTP/1.1 400 "));

      // A text frame: 1003. A frame over the largest packet: 1009, on wss.
      try (WsClient c = WsClient.open(URI.create("ws://127.0.0.1:" + ws + "/mqtt"),
          MqttVersion.MQTT_5)) {
        c.text("hello");
        assertEquals(1003, c.closeCode(BOUND));
      }
      try (WsClient c = WsClient.open(URI.create("wss://127.0.0.1:" + wss + "/mqtt"), tls,
          Map.of(), MqttVersion.MQTT_5)) {
        c.frame(new byte[5000], true);
        assertEquals(1009, c.closeCode(BOUND));
      }

      // A TLS client hello to the plain TCP port and the plain WebSocket port: closed.
      for (int port : new int[] {tcp, ws}) {
        try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", port)) {
          s.setSoTimeout((int) BOUND.toMillis());
          assertThrows(IOException.class, s::startHandshake);
        }
      }

      // Plain MQTT to the TLS ports: closed, counted as not TLS.
      for (String listener : List.of("tls", "wss")) {
        int port = f.broker().listener(listener).address().getPort();
        try (RawClient c = RawClient.open("127.0.0.1", port, MqttVersion.MQTT_5)) {
          c.send(connectPacket(MqttVersion.MQTT_5, "plain-to-" + listener, true, 0, null));
          c.expectSilentClose(BOUND);
        }
        await(listener + " counts a not-TLS handshake", () ->
            f.broker().listener(listener).handshakeFailures().getOrDefault(Reason.NOT_TLS, 0L)
                == 1);
      }

      // Every listener still serves a real client.
      try (RawClient c = RawClient.open("127.0.0.1", tcp, MqttVersion.MQTT_5)) {
        assertEquals(0, c.connect("after-tcp").reasonCode());
      }
      Mqtt5BlockingClient overTls = Mqtt5Client.builder().identifier("after-tls")
          .serverHost("127.0.0.1").serverPort(tlsPort)
          .sslConfig(MqttClientSslConfig.builder().trustManagerFactory(TestPki.trust(ca.cert()))
              .build())
          .buildBlocking();
      overTls.connect();
      overTls.disconnect();
      for (URI uri : List.of(URI.create("ws://127.0.0.1:" + ws + "/mqtt"),
          URI.create("wss://127.0.0.1:" + wss + "/mqtt"))) {
        try (WsClient c = WsClient.open(uri, tls, Map.of(), MqttVersion.MQTT_5)) {
          c.frame(connectPacket(MqttVersion.MQTT_5, "after-" + uri.getScheme(), true, 0, null));
          assertEquals(0, c.expect(ConnAck.class, BOUND).reasonCode());
        }
      }
      await("every connection closed", () -> f.broker().metrics().currentConnections() == 0);
      assertEquals(List.of(), leaks.reports(Duration.ofSeconds(2)), "Netty reported leaks");
    }
  }

  /** Writes {@code request}, reads until the server closes, within the bound. */
  private static String exchange(Socket s, String request) throws IOException {
    try (s) {
      s.setSoTimeout((int) BOUND.toMillis());
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = s.getInputStream();
      try {
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      } catch (SSLException e) {
        return "closed: " + e;
      }
    }
  }
}

package io.simqtt.core.server.ws;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.RawClient.connectPacket;
import static io.simqtt.core.it.RawClient.publishPacket;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.auth.AuthDecision;
import io.simqtt.core.auth.Authenticator;
import io.simqtt.core.auth.ConnectAttempt;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttPacket.Disconnect;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttPacket.SubAck;
import io.simqtt.core.codec.MqttPacket.Subscribe;
import io.simqtt.core.codec.MqttPacket.Subscription;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.BrokerFixture;
import io.simqtt.core.it.RawClient;
import io.simqtt.core.it.TestPki;
import io.simqtt.core.it.WsClient;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MQTT over ws:// and wss:// at the frame level (a packet across frames, packets sharing one,
 * text and oversized frames, close codes), the client address from X-Forwarded-For and from
 * PROXY protocol v1 and v2 headers, and what other HTTP requests get.
 */
class WebSocketListenerTest {
  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final int MAX_PACKET = 16 * 1024;

  @TempDir static Path dir;
  private static BrokerFixture f;
  private static SSLContext clientTls;
  private static final Map<String, ConnectAttempt> attempts = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    TestPki.Ca ca = new TestPki(dir).ca("ws");
    TestPki.Issued server = ca.server("broker");
    clientTls = TestPki.clientContext(ca.cert(), null);
    f = BrokerFixture.start(
        "mqtt.listeners.ws { enabled = true, host = 127.0.0.1, port = 0,"
            + " x-forwarded-for = true }\n"
            + "mqtt.listeners.wss { enabled = true, host = 127.0.0.1, port = 0 }\n"
            + "mqtt.listeners.proxied { type = tcp, host = 127.0.0.1, port = 0,"
            + " proxy-protocol = true }\n"
            + "mqtt.tls { cert-file = \"" + server.cert() + "\", key-file = \"" + server.key()
            + "\" }\n"
            + "mqtt.limits.max-packet-size = " + MAX_PACKET + "\n");
    f.broker().authentication().use(List.of(new Authenticator() {
      @Override
      public String name() {
        return "recorder";
      }

      @Override
      public AuthDecision authenticate(ConnectAttempt attempt) {
        attempts.put(attempt.clientId(), attempt);
        return AuthDecision.allow();
      }
    }), List.of());
  }

  @AfterAll
  static void stop() {
    if (f != null) {
      f.close();
    }
  }

  private static URI uri(String listener, String path) {
    String scheme = listener.equals("wss") ? "wss" : "ws";
    return URI.create(scheme + "://127.0.0.1:" + f.broker().listener(listener).address().getPort()
        + path);
  }

  private static WsClient open(String listener) throws Exception {
    return WsClient.open(uri(listener, "/mqtt"), listener.equals("wss") ? clientTls : null,
        Map.of(), MqttVersion.MQTT_5);
  }

  @Test
  void aPacketSplitAcrossFramesAndPacketsSharingOneFrame() throws Exception {
    for (String listener : List.of("ws", "wss")) {
      try (WsClient ws = open(listener)) {
        assertEquals("mqtt", ws.subprotocol());
        byte[] connect = RawClient.encode(
            connectPacket(MqttVersion.MQTT_5, "split-" + listener, true, 0, null),
            MqttVersion.MQTT_5);
        // The CONNECT in three frames: two messages, the second fragmented.
        ws.frame(Arrays.copyOfRange(connect, 0, 3), true);
        ws.frame(Arrays.copyOfRange(connect, 3, 7), false);
        ws.frame(Arrays.copyOfRange(connect, 7, connect.length), true);
        assertEquals(ReasonCode.SUCCESS, ws.expect(ConnAck.class, WAIT).reasonCode());
        // SUBSCRIBE and two PUBLISHes in one frame.
        ws.frame(
            new Subscribe(1, List.of(new Subscription("ws/" + listener, 1, false, false, 0)),
                MqttProperties.empty()),
            publishPacket("ws/" + listener, 0, false, 0, "first"),
            publishPacket("ws/" + listener, 0, false, 0, "second"));
        assertEquals(List.of(1), ws.expect(SubAck.class, WAIT).reasonCodes());
        assertEquals("first", payload(ws.expect(Publish.class, WAIT)));
        assertEquals("second", payload(ws.expect(Publish.class, WAIT)));
      }
    }
  }

  @Test
  void theServersLastPacketIsFollowedByANormalClose() throws Exception {
    try (WsClient first = open("ws")) {
      first.frame(connectPacket(MqttVersion.MQTT_5, "taken", true, 0, null));
      first.expect(ConnAck.class, WAIT);
      try (WsClient second = open("ws")) {
        second.frame(connectPacket(MqttVersion.MQTT_5, "taken", true, 0, null));
        second.expect(ConnAck.class, WAIT);
        assertEquals(ReasonCode.SESSION_TAKEN_OVER,
            first.expect(Disconnect.class, WAIT).reasonCode());
        assertEquals(1000, first.closeCode(WAIT));
      }
    }
  }

  @Test
  void aTextFrameIsClosedWith1003() throws Exception {
    try (WsClient ws = open("ws")) {
      ws.text("CONNECT please");
      assertEquals(1003, ws.closeCode(WAIT));
    }
  }

  @Test
  void aFrameLargerThanTheLargestPacketIsClosedWith1009() throws Exception {
    try (WsClient ws = open("wss")) {
      ws.frame(connectPacket(MqttVersion.MQTT_5, "big", true, 0, null));
      ws.expect(ConnAck.class, WAIT);
      // Far larger than the limit, so the client is still writing it when the server refuses
      // it: the Close frame must reach the client (the server reads and drops the rest rather
      // than close with it unread, which makes the kernel send a reset that can beat the Close
      // frame). Whether the client finishes its send once it has the Close frame is its own
      // business: the JDK's may end it with "closed output".
      try {
        ws.frame(new byte[64 * MAX_PACKET], true);
      } catch (ExecutionException sendEndedByTheClose) {
        // the close code below is what counts
      }
      assertEquals(1009, ws.closeCode(WAIT));
    }
  }

  @Test
  void anotherPathIsNotFound() {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> WsClient.open(uri("ws", "/other"), MqttVersion.MQTT_5));
    assertTrue(e.getCause() instanceof WebSocketHandshakeException, e.toString());
    assertEquals(404, ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode());
  }

  @Test
  void garbageBeforeTheUpgradeIsAnsweredBadRequest() throws Exception {
    try (Socket s = new Socket("127.0.0.1", f.broker().listener("ws").address().getPort())) {
      s.setSoTimeout(5000);
      s.getOutputStream().write("\u0010\u0020garbage\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertTrue(answer.startsWith("HTTP/1.1 400 Bad Request"), answer);
    }
  }

  @Test
  void xForwardedForNamesTheClient() throws Exception {
    try (WsClient ws = WsClient.open(uri("ws", "/mqtt"), null,
        Map.of("X-Forwarded-For", "203.0.113.7, 10.0.0.1"), MqttVersion.MQTT_5)) {
      ws.frame(connectPacket(MqttVersion.MQTT_5, "forwarded", true, 0, null));
      ws.expect(ConnAck.class, WAIT);
      assertEquals("203.0.113.7", attempts.get("forwarded").remoteAddress().getHostString());
      assertEquals("ws", attempts.get("forwarded").listener());
    }
  }

  @Test
  void proxyProtocolV1NamesTheClient() throws Exception {
    assertProxied("PROXY TCP4 198.51.100.9 127.0.0.1 40001 1883\r\n"
        .getBytes(StandardCharsets.US_ASCII), "proxied-v1", "198.51.100.9", 40001);
  }

  @Test
  void proxyProtocolV2NamesTheClient() throws Exception {
    byte[] v2 = {
      0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, // signature
      0x21, // version 2, PROXY
      0x11, // TCP over IPv4
      0x00, 0x0C, // 12 bytes of addresses
      (byte) 192, 0, 2, 44, // source 192.0.2.44
      127, 0, 0, 1, // destination
      (byte) 0x9C, 0x42, // source port 40002
      0x07, 0x5B // destination port 1883
    };
    assertProxied(v2, "proxied-v2", "192.0.2.44", 40002);
  }

  @Test
  void aProxiedListenerClosesAConnectionWithoutHeader() throws Exception {
    try (RawClient c = RawClient.open(
        "127.0.0.1", f.broker().listener("proxied").address().getPort(), MqttVersion.MQTT_5)) {
      c.send(connectPacket(MqttVersion.MQTT_5, "no-header", true, 0, null));
      c.expectSilentClose(WAIT);
    }
    assertTrue(!attempts.containsKey("no-header"));
  }

  private static void assertProxied(byte[] header, String id, String host, int port)
      throws Exception {
    try (Socket s = new Socket("127.0.0.1", f.broker().listener("proxied").address().getPort())) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write(header);
      out.write(RawClient.encode(connectPacket(MqttVersion.MQTT_5, id, true, 0, null),
          MqttVersion.MQTT_5));
      out.flush();
      InputStream in = s.getInputStream();
      assertEquals(0x20, in.read(), "CONNACK");
      await(id + " authenticated", () -> attempts.containsKey(id));
      assertEquals(host, attempts.get(id).remoteAddress().getHostString());
      assertEquals(port, attempts.get(id).remoteAddress().getPort());
    }
  }

  private static String payload(Publish p) {
    return new String(p.payload(), StandardCharsets.UTF_8);
  }
}

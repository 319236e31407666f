package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.RawClient.connectPacket;
import static io.simqtt.core.it.RawClient.encode;
import static io.simqtt.core.it.RawClient.publishPacket;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.fail;

import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttPacket.Disconnect;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.PacketType;
import io.simqtt.core.codec.ReasonCode;
import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The server's last packet (a DISCONNECT with a reason code, a refusing CONNACK) reaches a client
 * that is still writing. Closing a socket with unread input makes the kernel send a reset, which
 * breaks the client's writes and may discard what it had not read yet; the server must instead
 * half-close and read on, so the client reads the packet and then a plain end of stream.
 */
class CleanCloseTest {
  /**
   * QoS 1 publishes of 512 bytes sent after the packet the server refuses: about 1 MB, far more
   * than the server reads before it decides to close, so most of it is still unread then.
   */
  private static final int BURST = 2000;

  /** {@code first} followed by {@link #BURST} QoS 1 publishes, as one block of bytes. */
  private static byte[] burstAfter(byte[] first) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(first);
    for (int i = 0; i < BURST; i++) {
      int id = 100 + i;
      out.writeBytes(
          encode(
              new Publish("burst/t", 1, false, false, id, new byte[512], MqttProperties.empty()),
              MqttVersion.MQTT_5));
    }
    return out.toByteArray();
  }

  /** Writes {@code bytes}; a reset while writing fails the test. */
  private static void writeAll(RawClient c, byte[] bytes) {
    try {
      c.sendRaw(bytes);
    } catch (UncheckedIOException e) {
      fail("the server reset the connection while the client was writing: " + e.getCause());
    }
  }

  /** Everything up to the end of the stream, which must be a FIN, not a reset. */
  private static List<MqttPacket> readToCleanEnd(RawClient c) {
    List<MqttPacket> got = c.expectClosed();
    assertFalse(c.wasReset(), "connection reset; read before it: " + got);
    return got;
  }

  @Test
  void disconnectReachesAClientThatKeepsWritingPastTheReceiveMaximum() {
    try (BrokerFixture f = BrokerFixture.start("mqtt.limits.receive-maximum = 2");
        RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      c.connect("clean-close-quota");
      ByteArrayOutputStream overrun = new ByteArrayOutputStream();
      for (int id = 1; id <= 3; id++) {
        overrun.writeBytes(encode(publishPacket("burst/t", 2, false, id, "q"), MqttVersion.MQTT_5));
      }
      writeAll(c, burstAfter(overrun.toByteArray()));
      List<MqttPacket> got = readToCleanEnd(c);
      assertEquals(3, got.size(), "PUBREC 1, PUBREC 2, DISCONNECT; got " + got);
      assertEquals(PacketType.PUBREC, assertInstanceOf(PubResponse.class, got.get(0)).type());
      assertEquals(PacketType.PUBREC, assertInstanceOf(PubResponse.class, got.get(1)).type());
      assertEquals(
          ReasonCode.RECEIVE_MAXIMUM_EXCEEDED,
          assertInstanceOf(Disconnect.class, got.get(2)).reasonCode());
    }
  }

  @Test
  void refusingConnAckReachesAClientThatWritesOnWithoutWaitingForIt() {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      MqttProperties p = MqttProperties.empty();
      p.authenticationMethod = "unknown";
      byte[] connect =
          encode(connectPacket(MqttVersion.MQTT_5, "clean-close-refused", true, 0, p),
              MqttVersion.MQTT_5);
      writeAll(c, burstAfter(connect));
      List<MqttPacket> got = readToCleanEnd(c);
      assertEquals(1, got.size(), "one CONNACK; got " + got);
      assertEquals(
          ReasonCode.BAD_AUTHENTICATION_METHOD,
          assertInstanceOf(ConnAck.class, got.get(0)).reasonCode());
    }
  }

  /**
   * For MQTT the connection is over once the server has sent its DISCONNECT: the session is
   * detached at once (will, shared messages, Session Expiry 0), not when a client that keeps its
   * socket open is finally cut off after the linger.
   */
  @Test
  void sessionIsDetachedAtTheDisconnectNotWhenTheSocketCloses() {
    try (BrokerFixture f = BrokerFixture.start("mqtt.limits.receive-maximum = 1");
        RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      c.connect("clean-close-detach", true, 0, RawClient.sessionExpiry(60));
      c.send(publishPacket("t", 2, false, 1, "a"));
      assertEquals(PacketType.PUBREC, c.expect(PubResponse.class).type());
      c.send(publishPacket("t", 2, false, 2, "b"));
      c.expectDisconnect(ReasonCode.RECEIVE_MAXIMUM_EXCEEDED);
      // The client keeps its socket open; the linger would end it only after 2 s.
      await(
          Duration.ofSeconds(1),
          () -> !f.broker().sessions().get("clean-close-detach").isConnected(),
          "the session detached while the client still holds the socket");
    }
  }
}

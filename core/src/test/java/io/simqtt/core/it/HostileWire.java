package io.simqtt.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.simqtt.core.codec.MqttDecoder;
import io.simqtt.core.codec.MqttEncoder;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Helpers for the hostile-input tests: {@link Wire}, a blocking socket that writes hand-made bytes
 * and decodes the broker's answers with the broker's own codec, and checks that a broker still
 * serves real clients.
 */
final class HostileWire {
  private HostileWire() {}

  /** A raw MQTT connection: whatever bytes the test wants out, decoded packets in. */
  static final class Wire implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final EmbeddedChannel decoder;
    private final MqttVersion version;
    private final byte[] buf = new byte[8192];
    private boolean eof;

    Wire(int port, MqttVersion version) throws IOException {
      this.version = version;
      socket = new Socket("127.0.0.1", port);
      socket.setTcpNoDelay(true);
      in = socket.getInputStream();
      out = socket.getOutputStream();
      decoder = new EmbeddedChannel(MqttDecoder.forClient(version, 16 * 1024 * 1024));
    }

    Socket socket() {
      return socket;
    }

    void send(byte[] bytes) throws IOException {
      out.write(bytes);
      out.flush();
    }

    void send(MqttPacket packet) throws IOException {
      send(encode(packet, version));
    }

    /** Sends a CONNECT with a fresh client id and checks the CONNACK is a success. */
    Wire connect(int keepAlive) throws IOException {
      send(connectPacket(version, "raw-" + UUID.randomUUID(), keepAlive));
      Object ack = read(Duration.ofSeconds(5));
      MqttPacket.ConnAck connAck = assertInstanceOf(MqttPacket.ConnAck.class, ack);
      assertEquals(0, connAck.reasonCode(), "CONNACK reason code");
      return this;
    }

    /**
     * The next decoded packet (or DecodeFailure), or null if the broker closed the connection
     * first; fails if nothing at all happens within {@code timeout}.
     */
    Object read(Duration timeout) throws IOException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        Object o = decoder.readInbound();
        if (o != null) {
          return o;
        }
        if (eof) {
          return null;
        }
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          fail("broker neither answered nor closed within " + timeout);
        }
        socket.setSoTimeout((int) Math.max(1, left));
        int n;
        try {
          n = in.read(buf);
        } catch (SocketTimeoutException e) {
          continue;
        } catch (SocketException e) {
          // A reset is a close too (the broker closed with our bytes still unread).
          n = -1;
        }
        if (n < 0) {
          eof = true;
        } else {
          decoder.writeInbound(Unpooled.copiedBuffer(buf, 0, n));
        }
      }
    }

    /**
     * Reads until the broker closes the connection, which must happen within {@code bound};
     * returns everything decoded before the close.
     */
    List<Object> readUntilClosed(Duration bound) throws IOException {
      long deadline = System.nanoTime() + bound.toNanos();
      List<Object> got = new ArrayList<>();
      while (true) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          fail("connection not closed within " + bound + "; got " + got);
        }
        Object o;
        try {
          o = read(Duration.ofNanos(left));
        } catch (AssertionError e) {
          throw new AssertionError("connection not closed within " + bound + "; got " + got, e);
        }
        if (o == null) {
          return got;
        }
        got.add(o);
      }
    }

    /** Asserts the broker sends exactly a DISCONNECT with {@code reasonCode}, then closes. */
    void expectDisconnect(int reasonCode) throws IOException {
      List<Object> got = readUntilClosed(Duration.ofSeconds(5));
      assertEquals(1, got.size(), () -> "expected one DISCONNECT, got " + got);
      MqttPacket.Disconnect d = assertInstanceOf(MqttPacket.Disconnect.class, got.get(0));
      assertEquals(
          hex(reasonCode),
          hex(d.reasonCode()),
          () -> "DISCONNECT reason code (reason string: " + d.properties().reasonString + ")");
    }

    /** Asserts the broker sends nothing at all and closes. */
    void expectSilentClose(Duration bound) throws IOException {
      List<Object> got = readUntilClosed(bound);
      assertTrue(got.isEmpty(), () -> "expected a close without any packet, got " + got);
    }

    /** Asserts the broker refuses with a CONNACK carrying {@code reasonCode}, then closes. */
    void expectConnAck(int reasonCode) throws IOException {
      List<Object> got = readUntilClosed(Duration.ofSeconds(5));
      assertEquals(1, got.size(), () -> "expected one CONNACK, got " + got);
      MqttPacket.ConnAck a = assertInstanceOf(MqttPacket.ConnAck.class, got.get(0));
      assertEquals(hex(reasonCode), hex(a.reasonCode()), "CONNACK reason code");
    }

    /** Closes with a RST instead of a FIN, like a crashed or unplugged client. */
    void abort() throws IOException {
      socket.setSoLinger(true, 0);
      socket.close();
    }

    @Override
    public void close() throws IOException {
      socket.close();
      decoder.finishAndReleaseAll();
    }
  }

  static String hex(int code) {
    return String.format("0x%02X", code);
  }

  static byte[] encode(MqttPacket packet, MqttVersion version) {
    ByteBuf b = MqttEncoder.encode(UnpooledByteBufAllocator.DEFAULT, packet, version);
    try {
      return ByteBufUtil.getBytes(b);
    } finally {
      b.release();
    }
  }

  static MqttPacket.Connect connectPacket(MqttVersion version, String clientId, int keepAlive) {
    return new MqttPacket.Connect(
        version, true, keepAlive, clientId, null, null, null, MqttProperties.empty());
  }

  /** Concatenates byte arrays and ints (each int one byte). */
  static byte[] bytes(Object... parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (Object p : parts) {
      if (p instanceof byte[] a) {
        b.writeBytes(a);
      } else if (p instanceof String s) {
        byte[] u = s.getBytes(StandardCharsets.UTF_8);
        b.write(u.length >> 8);
        b.write(u.length);
        b.writeBytes(u);
      } else if (p instanceof Character c) {
        b.write(c);
      } else {
        b.write((Integer) p);
      }
    }
    return b.toByteArray();
  }

  /** A fixed header: first byte and Remaining Length (minimal Variable Byte Integer). */
  static byte[] header(int firstByte, int remainingLength) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(firstByte);
    int v = remainingLength;
    do {
      int d = v & 0x7F;
      v >>>= 7;
      b.write(v > 0 ? d | 0x80 : d);
    } while (v > 0);
    return b.toByteArray();
  }

  /** A Variable Byte Integer, minimally encoded. */
  static byte[] vbi(int value) {
    byte[] h = header(0, value);
    return java.util.Arrays.copyOfRange(h, 1, h.length);
  }

  /** An MQTT 5 CONNECT with the given connect flags, properties and payload fields. */
  static byte[] connectV5(int flags, byte[] properties, Object... payload) {
    return packet(
        0x10, bytes("MQTT", 5, flags, 0, 60, vbi(properties.length), properties, bytes(payload)));
  }

  /** An MQTT 3.1.1 CONNECT with the given connect flags and payload fields. */
  static byte[] connectV311(int flags, Object... payload) {
    return packet(0x10, bytes("MQTT", 4, flags, 0, 60, bytes(payload)));
  }

  /** A whole packet: the header for {@code body}'s length, then the body. */
  static byte[] packet(int firstByte, byte[] body) {
    return bytes(header(firstByte, body.length), body);
  }

  /** Waits until {@code value} reads {@code expected}, failing after {@code bound}. */
  static void awaitValue(long expected, LongSupplier value, Duration bound, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    long v;
    while ((v = value.getAsLong()) != expected) {
      if (System.nanoTime() > deadline) {
        fail(what + ": expected " + expected + " but was " + v + " after " + bound);
      }
      Thread.sleep(10);
    }
  }

  /**
   * A fresh HiveMQ client connects, subscribes and gets its own QoS 1 publish back: the broker
   * still serves after whatever came before. Disconnects before returning.
   */
  static void assertServesRealClient(BrokerFixture f) {
    String id = "real-" + UUID.randomUUID();
    Mqtt5BlockingClient c =
        Mqtt5Client.builder().identifier(id).serverHost(f.host()).serverPort(f.port()).buildBlocking();
    c.connect();
    try (var publishes = c.publishes(MqttGlobalPublishFilter.ALL)) {
      String topic = "health/" + id;
      c.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
      c.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(id.getBytes()).send();
      Optional<Mqtt5Publish> m = publishes.receive(5, TimeUnit.SECONDS);
      assertTrue(m.isPresent(), "the real client got no message back");
      assertEquals(id, new String(m.get().getPayloadAsBytes(), StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } finally {
      c.disconnect();
    }
  }
}

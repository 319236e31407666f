package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.hiveClient;
import static io.simqtt.core.it.Clients.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.simqtt.core.codec.MqttVersion;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Helpers for the hostile-input tests: builders for hand-made (often malformed) bytes to send with
 * {@link RawClient#sendRaw}, and checks that a broker still serves real clients.
 */
final class HostileWire {
  private HostileWire() {}

  /**
   * A {@link RawClient} on {@code host:port}, connected with a fresh client id, clean start and
   * {@code keepAlive}; fails unless the CONNACK is a success.
   */
  static RawClient connected(String host, int port, MqttVersion version, int keepAlive) {
    RawClient c = RawClient.open(host, port, version);
    try {
      c.connect("raw-" + UUID.randomUUID(), true, keepAlive, null);
      return c;
    } catch (RuntimeException | Error e) {
      c.close();
      throw e;
    }
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

  /**
   * A fresh HiveMQ client connects, subscribes and gets its own QoS 1 publish back: the broker
   * still serves after whatever came before. Disconnects before returning.
   */
  static void assertServesRealClient(BrokerFixture f) {
    String id = "real-" + UUID.randomUUID();
    Mqtt5BlockingClient c =
        hiveClient(f, id);
    c.connect();
    try (var publishes = c.publishes(MqttGlobalPublishFilter.ALL)) {
      String topic = "health/" + id;
      c.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
      c.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(id.getBytes()).send();
      Optional<Mqtt5Publish> m = publishes.receive(5, TimeUnit.SECONDS);
      assertTrue(m.isPresent(), "the real client got no message back");
      assertEquals(id, text(m.get()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } finally {
      c.disconnect();
    }
  }
}

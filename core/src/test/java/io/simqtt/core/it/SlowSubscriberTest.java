package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.PacketType;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.session.ClientInfo;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A subscriber that stops reading its socket must not make the broker hold every message for it
 * in the socket's outbound buffer: once the channel is not writable, new QoS 1/2 messages wait in
 * the session queue (bounded by mqtt.sessions.max-queued-messages), and they go out when the
 * channel is writable again.
 */
class SlowSubscriberTest {
  private static final int PAYLOAD = 64 * 1024;
  private static final int MESSAGES = 1000;
  private static final int QUEUE_BOUND = 100;

  private static byte[] payload(int index) {
    byte[] b = new byte[PAYLOAD];
    ByteBuffer.wrap(b).putInt(index);
    return b;
  }

  private static int index(Publish p) {
    return ByteBuffer.wrap(p.payload()).getInt();
  }

  /** Read as a task of the session, so consistent with it. */
  private static ClientInfo info(BrokerFixture f, String clientId) {
    try {
      return f.broker().sessions().info(clientId).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("session " + clientId + " did not answer", e);
    }
  }

  @Test
  void qos1WaitsInTheBoundedQueueWhileTheSocketIsFull() throws Exception {
    try (BrokerFixture f =
            BrokerFixture.start("mqtt.sessions.max-queued-messages = " + QUEUE_BOUND);
        RawClient sub = RawClient.open(f, MqttVersion.MQTT_5);
        RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
      MqttProperties p = MqttProperties.empty();
      p.receiveMaximum = 65535;
      sub.connect("slow-reader", true, 0, p);
      assertEquals(List.of(1), sub.subscribe("slow/t", 1));
      // From here on the subscriber reads nothing until the end.
      pub.connect("fast-writer");
      for (int i = 0; i < MESSAGES; i++) {
        pub.publish("slow/t", 1, false, payload(i));
      }
      var metrics = f.broker().metrics();
      await(
          Duration.ofSeconds(20),
          () -> {
            ClientInfo i = info(f, "slow-reader");
            return i.inflight() + i.queued() + metrics.drops(DropReason.QUEUE_FULL) == MESSAGES;
          },
          () -> "every message sent, queued or dropped");
      ClientInfo held = info(f, "slow-reader");
      int inflight = held.inflight();
      // What Netty's high water mark (1 MiB) and the kernel's socket buffers hold, not all of
      // them: measured 72-80 of 1000 here (tcp_wmem max 4 MiB); the bound leaves room for
      // kernels that buffer up to ~15 MiB.
      assertTrue(inflight < MESSAGES / 4, "in flight on a socket not read: " + inflight);
      assertEquals(QUEUE_BOUND, held.queued());
      assertEquals(MESSAGES - inflight - QUEUE_BOUND, metrics.drops(DropReason.QUEUE_FULL));

      // The subscriber reads again, without acknowledging: what waited in the queue goes out as
      // the socket drains (Receive Maximum is far away), in publish order.
      int expected = inflight + QUEUE_BOUND;
      List<Integer> got = new ArrayList<>();
      while (got.size() < expected) {
        MqttPacket packet = sub.read(Duration.ofSeconds(5));
        if (packet == null) {
          break;
        }
        got.add(index((Publish) packet));
      }
      assertEquals(expected, got.size(), "messages after the subscriber read again");
      // In publish order, not necessarily without gaps: should the socket take more while the
      // publisher still sends (the kernel's buffers grow), the queue drains and takes newer
      // messages after some were dropped while it was full (seen on a loaded machine: 0-115,
      // then 123).
      for (int i = 1; i < got.size(); i++) {
        assertTrue(got.get(i) > got.get(i - 1), "message order: " + got);
      }
      assertEquals(0, info(f, "slow-reader").queued());
      for (int i = 0; i < got.size(); i++) {
        // Packet ids run 1, 2, ... in send order on a fresh session.
        sub.send(RawClient.ack(PacketType.PUBACK, i + 1));
      }
      await("in flight acknowledged", () -> info(f, "slow-reader").inflight() == 0);
    }
  }
}

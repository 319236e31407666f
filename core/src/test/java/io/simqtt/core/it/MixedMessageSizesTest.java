package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.hiveConnected;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Many connections on the same event loops sending at once, each mixing tiny and large messages:
 * the connections of a loop share one guess of how much to read (LoopReadSizing), so a read
 * sized for one connection's last message serves the next connection's. Every byte must still
 * arrive, in each publisher's order.
 */
class MixedMessageSizesTest {
  private static final int PUBLISHERS = 12;
  private static final int MESSAGES = 40;
  /** 1 byte to 300 KB, so a read guessed from the neighbour's message is too small or too big. */
  private static final int[] SIZES = {1, 300_000, 17, 65_536, 3, 150_000, 2_048, 90};

  private static BrokerFixture f;

  @BeforeAll
  static void start() {
    f = BrokerFixture.start();
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  @Test
  void everyMessageArrivesWholeWhileConnectionsOfOneLoopSendSmallAndLargeAtOnce()
      throws Exception {
    Mqtt5BlockingClient sub = hiveConnected(f, "sizes-sub");
    List<Mqtt5BlockingClient> pubs = new ArrayList<>();
    for (int p = 0; p < PUBLISHERS; p++) {
      pubs.add(hiveConnected(f, "sizes-pub-" + p));
    }
    try (var publishes = sub.publishes(MqttGlobalPublishFilter.ALL)) {
      sub.subscribeWith().topicFilter("sizes/#").qos(MqttQos.AT_LEAST_ONCE).send();
      List<CompletableFuture<?>> sent = new ArrayList<>();
      for (int i = 0; i < MESSAGES; i++) {
        for (int p = 0; p < PUBLISHERS; p++) {
          sent.add(pubs.get(p).toAsync().publishWith()
              .topic("sizes/" + p)
              .qos(MqttQos.AT_LEAST_ONCE)
              .payload(payload(p, i))
              .send());
        }
      }
      CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

      Map<Integer, Integer> next = new HashMap<>();
      for (int n = 0; n < PUBLISHERS * MESSAGES; n++) {
        Mqtt5Publish m = publishes.receive(30, TimeUnit.SECONDS).orElseThrow();
        int p = Integer.parseInt(m.getTopic().getLevels().get(1));
        int i = next.merge(p, 1, Integer::sum) - 1;
        assertArrayEquals(payload(p, i), m.getPayloadAsBytes(), "publisher " + p + " message " + i);
      }
      for (int p = 0; p < PUBLISHERS; p++) {
        assertEquals(MESSAGES, next.get(p), "messages from publisher " + p);
      }
    } finally {
      for (Mqtt5BlockingClient c : pubs) {
        c.disconnect();
      }
      sub.disconnect();
    }
  }

  /** Message i of publisher p: its size from SIZES, every byte derived from (p, i, offset). */
  private static byte[] payload(int p, int i) {
    int size = SIZES[(i + p) % SIZES.length];
    ByteBuffer b = ByteBuffer.allocate(size);
    for (int k = 0; k < size; k++) {
      b.put((byte) (p * 31 + i * 7 + k));
    }
    return b.array();
  }
}

package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.drain;
import static io.simqtt.core.it.Clients.hiveClient;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.simqtt.config.StorageSettings;
import io.simqtt.core.it.BrokerFixture;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.store.DiskSessionStore;
import io.simqtt.store.DurableStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The byte bound of a stored session's queue (mqtt.sessions.max-queued-bytes) in durable mode, on
 * real RocksDB: it counts what is only on disk as well as the heap's part, a restart reads the
 * bytes back with the queue, and drop-oldest removes the oldest entries even when they are only
 * on disk. Messages of 6 bytes each (topic "b/t", payload "mNN"), a bound of five of them, two on
 * the heap.
 */
@Timeout(60)
class DurableQueueBytesTest {
  private static final Duration QUIET = Duration.ofMillis(500);

  @TempDir Path dir;

  private static String conf(String policy) {
    return "mqtt.sessions { queue-memory-messages = 2, max-queued-bytes = 30B,"
        + " queue-overflow = " + policy + " }\n";
  }

  /** A broker on a durable store in {@link #dir}; closing it closes the store too. */
  private final class Node implements AutoCloseable {
    final DurableStore store = DurableStore.open(new StorageSettings(
        dir, StorageSettings.Sync.ALWAYS, Duration.ofMillis(5), 1000, 1 << 20, 8 << 20));
    final BrokerFixture f;

    Node(String hocon) {
      f = BrokerFixture.start(hocon, new DiskSessionStore(store));
    }

    long drops(DropReason r) {
      return f.broker().metrics().drops(r);
    }

    @Override
    public void close() {
      f.close();
      store.close();
    }
  }

  @Test
  void aRestartKeepsTheBytesOfTheQueueOnDiskAndItsBound() throws Exception {
    try (Node n = new Node(conf("drop-new"))) {
      subscribeAndLeave(n.f);
      publish(n.f, 1, 5); // 30 bytes: full; two on the heap, three only on disk
      assertEquals(0, n.drops(DropReason.QUEUE_BYTES_FULL));
    }
    try (Node n = new Node(conf("drop-new"))) {
      publish(n.f, 6, 6);
      await(Duration.ofSeconds(5), () -> n.drops(DropReason.QUEUE_BYTES_FULL) == 1,
          "the recovered queue is full by its bytes, those only on disk included");
      assertEquals(messages(1, 5), receive(n.f));

      // Drained, the queue holds no bytes any more: five fit again.
      publish(n.f, 7, 11);
      assertEquals(messages(7, 11), receive(n.f));
      assertEquals(1, n.drops(DropReason.QUEUE_BYTES_FULL));
    }
  }

  @Test
  void dropOldestRemovesTheOldestOnDiskAndARestartDoesNotBringThemBack() throws Exception {
    try (Node n = new Node(conf("drop-oldest"))) {
      subscribeAndLeave(n.f);
      publish(n.f, 1, 12);
      // Two go from the heap at once; the other five are only on disk and go as they are read.
      await(Duration.ofSeconds(10), () -> n.drops(DropReason.QUEUE_BYTES_FULL) == 7,
          () -> "seven QUEUE_BYTES_FULL drops, have " + n.drops(DropReason.QUEUE_BYTES_FULL));
      assertEquals(0, n.drops(DropReason.QUEUE_FULL));
    }
    try (Node n = new Node(conf("drop-oldest"))) {
      assertEquals(messages(8, 12), receive(n.f), "the newest five, in order, once each");
      assertEquals(0, n.drops(DropReason.QUEUE_BYTES_FULL));
    }
  }

  private static void subscribeAndLeave(BrokerFixture f) {
    Mqtt5BlockingClient sub = hiveClient(f, "sub");
    sub.connectWith().cleanStart(true).sessionExpiryInterval(600).send();
    sub.subscribeWith().topicFilter("b/t").qos(MqttQos.AT_LEAST_ONCE).send();
    sub.disconnect();
  }

  /** Messages {@code from} to {@code to}, each acknowledged before the next goes. */
  private static void publish(BrokerFixture f, int from, int to) {
    Mqtt5BlockingClient pub = hiveClient(f, "pub");
    pub.connect();
    for (int i = from; i <= to; i++) {
      pub.publishWith().topic("b/t").qos(MqttQos.AT_LEAST_ONCE)
          .payload(bytes(String.format("m%02d", i))).send();
    }
    pub.disconnect();
  }

  /** What the subscriber gets once back, until quiet; it leaves again (its session stays). */
  private static List<String> receive(BrokerFixture f) throws Exception {
    Mqtt5BlockingClient back = hiveClient(f, "sub");
    try (var publishes = back.publishes(MqttGlobalPublishFilter.ALL)) {
      assertTrue(back.connectWith().cleanStart(false).sessionExpiryInterval(600).send()
          .isSessionPresent());
      return drain(publishes, QUIET);
    } finally {
      back.disconnect();
    }
  }

  private static List<String> messages(int from, int to) {
    return IntStream.rangeClosed(from, to).mapToObj(i -> String.format("m%02d", i)).toList();
  }
}

package io.simqtt.core.session;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.hiveBuilder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.it.BrokerFixture;
import io.simqtt.core.it.Clients;
import io.simqtt.core.it.RawClient;
import io.simqtt.core.metrics.DropReason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A stored session's queue in durable mode keeps only {@code queue-memory-messages} entries on
 * the heap; the rest is only in the store and read back in pages as the queue drains, in order.
 * Over real sockets with HiveMQ clients and core's test store.
 */
class QueueBacklogTest {
  private static final int WINDOW = 50;
  private static final int QUEUED = 3000;
  private static final String CONF =
      "mqtt.sessions { queue-memory-messages = " + WINDOW + ", max-queued-messages = 100000 }\n";
  private static final Duration DRAIN = Duration.ofSeconds(30);

  @Test
  void anOfflineQueueBeyondTheWindowStaysOnDiskAndArrivesWhole() throws Exception {
    RecordingSessionStore store = new RecordingSessionStore();
    try (BrokerFixture f = BrokerFixture.start(CONF, store)) {
      offlineSubscriber(f, "sub");
      publish(f, 1, QUEUED);

      Session s = f.broker().sessions().get("sub");
      assertEquals(QUEUED, onSession(s, s::queuedCount), "every message is queued");
      assertEquals(WINDOW, onSession(s, s::queuedInMemory), "only the window on the heap");
      assertEquals(QUEUED, store.messages("sub").size(), "all of them in the store");
      assertEquals(0, store.pageReads(), "nothing read back while the client is away");

      // More arrives while the queue drains: it goes behind what is on disk.
      List<String> got = receive(f, "sub", s, QUEUED + 200, () -> publish(f, QUEUED + 1, 200));

      assertEquals(numbers(1, QUEUED + 200), got, "all of them, in order, once each");
      assertTrue(store.pageReads() >= QUEUED / WINDOW, "read back in pages: " + store.pageReads());
      await("the acknowledged entries removed", () -> store.messages("sub").isEmpty());
      assertEquals(0, onSession(s, s::queuedCount));
    }
  }

  @Test
  void aRestartReadsOnlyTheWindowBackAndTheRestFollowsInOrder() throws Exception {
    RecordingSessionStore store = new RecordingSessionStore();
    try (BrokerFixture f = BrokerFixture.start(CONF, store)) {
      offlineSubscriber(f, "sub");
      publish(f, 1, QUEUED);
      await("all written", () -> store.messages("sub").size() == QUEUED);
    }
    RecordingSessionStore restarted = store.copy();
    try (BrokerFixture f = BrokerFixture.start(CONF, restarted)) {
      Session s = f.broker().sessions().get("sub");
      assertEquals(WINDOW, onSession(s, s::queuedInMemory), "recovery read the window only");
      assertEquals(QUEUED, onSession(s, s::queuedCount), "and counted the rest");

      List<String> got = receive(f, "sub", s, QUEUED + 10, () -> publish(f, QUEUED + 1, 10));

      assertEquals(numbers(1, QUEUED + 10), got);
    }
  }

  @Test
  void theQueueBoundCountsWhatIsOnDiskAndItsDropsLeaveTheDisk() throws Exception {
    RecordingSessionStore store = new RecordingSessionStore();
    String conf = "mqtt.sessions { queue-memory-messages = 10, max-queued-messages = 100,"
        + " queue-overflow = drop-oldest }\n";
    try (BrokerFixture f = BrokerFixture.start(conf, store)) {
      offlineSubscriber(f, "sub");
      publish(f, 1, 300);

      Session s = f.broker().sessions().get("sub");
      assertEquals(100, onSession(s, s::queuedCount), "bounded, disk entries counted");
      assertEquals(200, f.broker().metrics().drops(DropReason.QUEUE_FULL));
      assertEquals(0, onSession(s, s::queuedInMemory),
          "the oldest went first, those on the heap before those only on disk");

      List<String> got = receive(f, "sub", s, 100, () -> { });

      assertEquals(numbers(201, 300), got, "the newest 100, in order");
      await("the store holds nothing more", () -> store.messages("sub").isEmpty());
    }
  }

  @Test
  void dropsOfEntriesOnlyOnDiskLeaveTheDiskWhileOfflineSoARestartDoesNotDeliverThem()
      throws Exception {
    RecordingSessionStore store = new RecordingSessionStore();
    String conf = "mqtt.sessions { queue-memory-messages = 10, max-queued-messages = 100,"
        + " queue-overflow = drop-oldest }\n";
    try (BrokerFixture f = BrokerFixture.start(conf, store)) {
      offlineSubscriber(f, "sub");
      publish(f, 1, 300);
      assertEquals(200, f.broker().metrics().drops(DropReason.QUEUE_FULL));
      await("the 200 dropped left the store, the client still away",
          () -> store.messages("sub").size() == 100);
    }
    try (BrokerFixture f = BrokerFixture.start(conf, store.copy())) {
      Session s = f.broker().sessions().get("sub");
      assertEquals(100, onSession(s, s::queuedCount));

      List<String> got = receive(f, "sub", s, 100, () -> { });

      assertEquals(numbers(201, 300), got, "the newest 100 only, as before the restart");
    }
  }

  @Test
  void sharedDeliveriesOnlyOnDiskGoToAnotherMemberWhenTheirsLeaves() throws Exception {
    RecordingSessionStore store = new RecordingSessionStore();
    String conf = "mqtt.sessions { queue-memory-messages = 10 }\n";
    try (BrokerFixture f = BrokerFixture.start(conf, store)) {
      Session s;
      try (RawClient a = RawClient.open(f, MqttVersion.MQTT_5)) {
        MqttProperties p = RawClient.sessionExpiry(3600);
        p.receiveMaximum = 1; // one in flight, never acknowledged: the rest queues
        a.connect("a", true, 0, p);
        a.subscribe("$share/g/s/t", 1);
        publish(f, "s/t", 1, 100);
        s = f.broker().sessions().get("a");
        assertEquals(99, onSession(s, s::queuedCount));
        assertEquals(10, onSession(s, s::queuedInMemory), "89 of them only on disk");

        Mqtt5BlockingClient b = Clients.hiveConnected(f, "b");
        BlockingQueue<Mqtt5Publish> inbox = Clients.inbox(b);
        b.subscribeWith().topicFilter("$share/g/s/t").qos(MqttQos.AT_LEAST_ONCE).send();
        try {
          a.abort(); // its connection is lost: what it has queued goes to b
          List<String> got = Clients.takeN(inbox, 99, Duration.ofSeconds(10));
          assertEquals(numbers(2, 100), got, "every queued one, those on disk too, in order");
        } finally {
          Clients.disconnectQuietly(b);
        }
      }
      await("only the one sent stays with a", () -> store.messages("a").size() == 1);
      assertEquals(0, onSession(s, s::queuedCount));
    }
  }

  private static void offlineSubscriber(BrokerFixture f, String id) {
    Mqtt5BlockingClient sub = hiveBuilder(f, id).buildBlocking();
    sub.connectWith().cleanStart(true).sessionExpiryInterval(3600).send();
    sub.subscribeWith().topicFilter("q/t").qos(MqttQos.AT_LEAST_ONCE).send();
    sub.disconnect();
  }

  /** Publishes {@code count} QoS 1 messages numbered from {@code first}, each acknowledged. */
  private static void publish(BrokerFixture f, int first, int count) {
    publish(f, "q/t", first, count);
  }

  private static void publish(BrokerFixture f, String topic, int first, int count) {
    Mqtt5BlockingClient pub = Clients.hiveConnected(f, "pub-" + first);
    try {
      for (int n = first; n < first + count; n++) {
        pub.publishWith()
            .topic(topic)
            .qos(MqttQos.AT_LEAST_ONCE)
            .payload(Integer.toString(n).getBytes(StandardCharsets.UTF_8))
            .send();
      }
    } finally {
      Clients.disconnectQuietly(pub);
    }
  }

  /**
   * Resumes the session with a small Receive Maximum and takes {@code total} messages, checking
   * as they come that the heap never holds more than the window; {@code meanwhile} runs once a
   * tenth of them arrived.
   */
  private static List<String> receive(
      BrokerFixture f, String id, Session s, int total, Runnable meanwhile) throws Exception {
    Mqtt5BlockingClient sub = hiveBuilder(f, id).buildBlocking();
    BlockingQueue<Mqtt5Publish> inbox = Clients.inbox(sub);
    AtomicInteger most = new AtomicInteger();
    List<String> got = new ArrayList<>();
    try {
      assertTrue(
          sub.connectWith()
              .cleanStart(false)
              .sessionExpiryInterval(3600)
              .restrictions().receiveMaximum(20).applyRestrictions()
              .send()
              .isSessionPresent());
      long deadline = System.nanoTime() + DRAIN.toNanos();
      while (got.size() < total && System.nanoTime() < deadline) {
        Mqtt5Publish p = inbox.poll(100, TimeUnit.MILLISECONDS);
        if (p == null) {
          continue;
        }
        got.add(new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8));
        if (got.size() % 25 == 0) {
          most.accumulateAndGet(onSession(s, s::queuedInMemory), Math::max);
        }
        if (got.size() == total / 10) {
          meanwhile.run();
        }
      }
    } finally {
      Clients.disconnectQuietly(sub);
    }
    assertTrue(most.get() <= WINDOW, "at most the window on the heap, saw " + most.get());
    return got;
  }

  private static int onSession(Session s, java.util.function.IntSupplier read) throws Exception {
    CompletableFuture<Integer> v = new CompletableFuture<>();
    s.execute(() -> v.complete(read.getAsInt()));
    return v.get(5, TimeUnit.SECONDS);
  }

  private static List<String> numbers(int from, int to) {
    return IntStream.rangeClosed(from, to).mapToObj(Integer::toString).toList();
  }
}

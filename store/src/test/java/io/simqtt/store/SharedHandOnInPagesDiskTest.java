package io.simqtt.store;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.store.StoredQueues.entries;
import static io.simqtt.store.StoredQueues.received;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.BrokerFixture;
import io.simqtt.core.it.RawClient;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.session.HandOver;
import io.simqtt.core.session.Session;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A session that ends with shared deliveries on disk hands them to another member a page at a
 * time, on a real RocksDB store: with {@code queue-memory-messages = 2}, each batch of the store's
 * writer that gives the other member copies gives it at most a page of them (the heap's share
 * first: the one in flight and the two queued), so the session never held more at once; and a
 * kill -9 right after one of those batches (a checkpoint taken on the writer thread) in the middle
 * of the paging finds each message on exactly one side: after the restart the ended session hands
 * on the rest, and the other member gets every message once, in order. Before, the whole queue
 * was read onto the heap and handed on in one unit. So does a session that lives on as its
 * connection ends, keeping the rest where it was.
 */
@Timeout(60)
class SharedHandOnInPagesDiskTest {
  private static final String GROUP = "$share/g/s/t";
  private static final int MESSAGES = 13;
  private static final Duration QUIET = Duration.ofMillis(300);
  /** One message in flight and two queued on the heap: the rest of a session's queue on disk. */
  private static final String PAGED =
      "mqtt.sessions.max-inflight = 1\nmqtt.sessions.queue-memory-messages = 2";

  @TempDir Path dir;
  @TempDir Path images;

  @Test
  void anEndingSessionsSharedDeliveriesOnDiskGoAPageAUnitAndAKillBetweenLosesAndDoublesNone() {
    Path image = images.resolve("in-the-middle");
    AtomicBoolean killed = new AtomicBoolean();
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir));
        BrokerFixture f = BrokerFixture.start(PAGED, new DiskSessionStore(store))) {
      RawClient a = membersAConnectedAndBOffline(f);
      publishToTheGroup(f, a, store);
      AtomicInteger mostPerBatch = watchBatches(store, now -> {
        if (!killed.get() && now > 3 && now < MESSAGES) {
          killed.set(true);
          store.checkpoint(image); // the kill: right after a page's batch, more to come
        }
      });

      a.disconnect(ReasonCode.NORMAL_DISCONNECTION, RawClient.sessionExpiry(0)); // it ends
      await("a's session over", () -> f.broker().sessions().get("a") == null);
      await("every message with b", () -> entries(store, "b") == MESSAGES);
      assertEquals(0, store.holdsCut());
      assertTrue(mostPerBatch.get() <= 3,
          "copies given in one unit: " + mostPerBatch.get() + ", the session held them at once");
    }
    assertTrue(killed.get(), "no batch between pages");

    try (DurableStore store = DurableStore.open(StoreDirs.always(image));
        BrokerFixture f = BrokerFixture.start("", new DiskSessionStore(store))) {
      await("a's session ended at the restart, the rest handed on",
          () -> f.broker().sessions().get("a") == null && entries(store, "a") == 0);
      assertEquals(
          IntStream.rangeClosed(1, MESSAGES).mapToObj(n -> "m" + n).toList(),
          received(f, "b"),
          "every message once, in order");
      try (RawClient a = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertFalse(a.connect("a", false, 0, RawClient.sessionExpiry(3600)).sessionPresent());
      }
    }
  }

  /**
   * A persistent member's connection ends while its shared deliveries lie on disk: each batch that
   * gives the other member copies gives it at most a page of them (before, the whole queue was
   * read onto the heap and handed on in one unit); the messages of its own subscription stay with
   * it, where they were, and so does the one in flight. Each client gets its messages once, in
   * order.
   */
  @Test
  void aSessionWhoseConnectionEndsGivesItsSharedDeliveriesOnDiskAPageAUnitAndKeepsTheRest() {
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir));
        BrokerFixture f = BrokerFixture.start(PAGED, new DiskSessionStore(store))) {
      RawClient a = membersAConnectedAndBOffline(f, "o/x");
      try (RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
        pub.connect("pub");
        for (int n = 1; n <= MESSAGES; n++) {
          pub.publish("s/t", 1, false, bytes("m" + n));
          pub.expect(PubResponse.class);
          if (n % 4 == 0) {
            pub.publish("o/x", 1, false, bytes("o" + n / 4));
            pub.expect(PubResponse.class);
          }
        }
      }
      assertEquals("m1", text(a.expect(Publish.class)), "the connected member takes them all");
      int own = MESSAGES / 4;
      await("m1 in flight, the rest queued", () -> entries(store, "a") == MESSAGES + own);
      AtomicInteger mostPerBatch = watchBatches(store, now -> { });

      a.disconnect(ReasonCode.NORMAL_DISCONNECTION, RawClient.sessionExpiry(3600));
      await("every queued shared delivery with b", () -> entries(store, "b") == MESSAGES - 1);
      await("a keeps the rest", () -> entries(store, "a") == 1 + own);
      assertEquals(0, store.holdsCut());
      assertTrue(mostPerBatch.get() <= 2,
          "copies given in one unit: " + mostPerBatch.get() + ", the session held them at once");

      List<String> toA = new ArrayList<>(List.of("m1"));
      IntStream.rangeClosed(1, own).forEach(n -> toA.add("o" + n));
      assertEquals(toA, received(f, "a"), "what stayed, once each, in order");
      assertEquals(
          IntStream.rangeClosed(2, MESSAGES).mapToObj(n -> "m" + n).toList(),
          received(f, "b"),
          "every shared delivery queued once, in order");
    }
  }

  /**
   * Member a connects again with Clean Start while its old session's shared deliveries lie on
   * disk: the old state ends first and hands them to b a page at a time (each batch that gives b
   * copies gives it at most a page, the heap's share first: the one in flight and the two
   * queued), not read whole onto the heap; the new connection waits for that (CONNACK Session
   * Present 0) and gets none of them. Before, they were all read onto the heap first and handed
   * on in one unit.
   */
  @Test
  void aCleanStartHandsTheOldSessionsSharedDeliveriesOnDiskToAnotherMemberAPageAUnit() {
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir));
        BrokerFixture f = BrokerFixture.start(PAGED, new DiskSessionStore(store))) {
      RawClient a = membersAConnectedAndBOffline(f);
      publishToTheGroup(f, a, store);
      AtomicInteger mostPerBatch = watchBatches(store, now -> { });

      try (RawClient again = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertFalse(again.connect("a", true, 0, RawClient.sessionExpiry(3600)).sessionPresent());
        assertEquals(ReasonCode.SESSION_TAKEN_OVER, a.expectDisconnect());
        await("every message with b", () -> entries(store, "b") == MESSAGES);
        assertEquals(0, entries(store, "a"));
        assertTrue(again.payloadsUntilQuiet(QUIET).isEmpty(), "the old state's messages came");
      }
      assertEquals(0, store.holdsCut());
      assertTrue(mostPerBatch.get() <= 3,
          "copies given in one unit: " + mostPerBatch.get() + ", the session held them at once");
      assertEquals(
          IntStream.rangeClosed(1, MESSAGES).mapToObj(n -> "m" + n).toList(),
          received(f, "b"),
          "every message once, in order");
    }
  }

  /**
   * Another node's clean-start claim for member a is answered at once (the client gets CONNACK
   * there) while the old state here still hands its shared deliveries on disk to b a page at a
   * time; a kill -9 in the middle of that paging must not bring the old state back with its old
   * Session Expiry: it would live on here beside the new session, and on rejoining the cluster
   * yield to the new owner what it still held. After the restart the old state ends and hands on
   * the rest: b gets every message once, in order.
   */
  @Test
  void anAnsweredCleanStartClaimEndsTheOldStateForGoodAKillMidPagingDoesNotBringItBack()
      throws Exception {
    Path image = images.resolve("mid-clean-start");
    AtomicBoolean killed = new AtomicBoolean();
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir));
        BrokerFixture f = BrokerFixture.start(PAGED, new DiskSessionStore(store))) {
      RawClient a = membersAConnectedAndBOffline(f);
      publishToTheGroup(f, a, store);
      watchBatches(store, now -> {
        if (!killed.get() && now > 3 && now < MESSAGES) {
          killed.set(true);
          store.checkpoint(image); // the kill: right after a page's batch, more to come
        }
      });

      Session s = f.broker().sessions().get("a");
      CompletableFuture<HandOver> answer = new CompletableFuture<>();
      s.execute(() -> s.handOver(true, answer)); // a clean start on another node
      assertNull(answer.get(10, TimeUnit.SECONDS), "the claim is answered: nothing to hand over");
      assertEquals(ReasonCode.SESSION_TAKEN_OVER, a.expectDisconnect());
      await("every message with b", () -> entries(store, "b") == MESSAGES);
      a.close();
    }
    assertTrue(killed.get(), "no batch between pages");

    try (DurableStore store = DurableStore.open(StoreDirs.always(image));
        BrokerFixture f = BrokerFixture.start("", new DiskSessionStore(store))) {
      await("the old state ended at the restart, the rest handed on",
          () -> f.broker().sessions().get("a") == null && entries(store, "a") == 0);
      assertEquals(
          IntStream.rangeClosed(1, MESSAGES).mapToObj(n -> "m" + n).toList(),
          received(f, "b"),
          "every message once, in order");
    }
  }

  /**
   * The only member of the group connects again with Clean Start while its old session's shared
   * deliveries lie on disk: its subscription ended with the old session (MQTT 5 3.1.2.4), so no
   * member is left for them (4.8.2): each is dropped, counted, as its page is read, none is given
   * to the new session, and none stays on disk. Before, the old state handed them on after reading
   * them all onto the heap, and, no other member being left, they came back to the session, now
   * the new connection's.
   */
  @Test
  void aCleanStartOfTheOnlyMemberDropsTheOldSharedDeliveriesCountedAndKeepsNone() {
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir));
        BrokerFixture f = BrokerFixture.start(PAGED, new DiskSessionStore(store))) {
      RawClient a = RawClient.open(f, MqttVersion.MQTT_5);
      a.connect("a", true, 0, RawClient.sessionExpiry(3600));
      a.subscribe(GROUP, 1);
      publishToTheGroup(f, a, store);
      long before = f.broker().metrics().drops(DropReason.NO_SUBSCRIBERS);

      try (RawClient again = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertFalse(again.connect("a", true, 0, RawClient.sessionExpiry(3600)).sessionPresent());
        await("each counted as dropped",
            () -> f.broker().metrics().drops(DropReason.NO_SUBSCRIBERS) == before + MESSAGES);
        assertTrue(again.payloadsUntilQuiet(QUIET).isEmpty(), "the old state's messages came");
        await("none left on disk", () -> entries(store, "a") == 0);
      }
      a.close();
    }
  }

  /**
   * From now on, after each batch the store's writer writes, counts the copies b got in it and
   * runs {@code then} with b's copies so far; returns the most one batch gave b. A slow release
   * is not cut meanwhile.
   */
  private static AtomicInteger watchBatches(DurableStore store, IntConsumer then) {
    AtomicInteger most = new AtomicInteger();
    AtomicInteger seen = new AtomicInteger();
    store.writer().maxHoldNanos(TimeUnit.MINUTES.toNanos(5));
    store.writer().afterEachBatch(() -> {
      int now = entries(store, "b");
      most.accumulateAndGet(now - seen.getAndSet(now), Math::max);
      then.accept(now);
    });
    return most;
  }

  /**
   * m1 to m13 are published to the group, whose connected member {@code a} takes them all: m1 in
   * flight, the rest queued, two of them on the heap.
   */
  private static void publishToTheGroup(BrokerFixture f, RawClient a, DurableStore store) {
    try (RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
      pub.connect("pub");
      for (int n = 1; n <= MESSAGES; n++) {
        pub.publish("s/t", 1, false, bytes("m" + n));
        pub.expect(PubResponse.class);
      }
    }
    assertEquals("m1", text(a.expect(Publish.class)), "the connected member takes them all");
    await("m1 in flight, the rest queued", () -> entries(store, "a") == MESSAGES);
  }

  /**
   * Member b subscribes to the group and goes offline with its session kept; member a connects
   * with a session kept, subscribes to the group and to {@code ownFilters}, and is returned.
   */
  private static RawClient membersAConnectedAndBOffline(BrokerFixture f, String... ownFilters) {
    try (RawClient b = RawClient.open(f, MqttVersion.MQTT_5)) {
      b.connect("b", true, 0, RawClient.sessionExpiry(3600));
      b.subscribe(GROUP, 1);
      b.disconnect(ReasonCode.NORMAL_DISCONNECTION, RawClient.sessionExpiry(3600));
    }
    RawClient a = RawClient.open(f, MqttVersion.MQTT_5);
    a.connect("a", true, 0, RawClient.sessionExpiry(3600));
    a.subscribe(GROUP, 1);
    for (String filter : ownFilters) {
      a.subscribe(filter, 1);
    }
    await("b offline", () -> f.broker().sessions().get("b") != null
        && !f.broker().sessions().get("b").isConnected());
    return a;
  }

  private static String text(Publish p) {
    return new String(p.payload(), StandardCharsets.UTF_8);
  }
}

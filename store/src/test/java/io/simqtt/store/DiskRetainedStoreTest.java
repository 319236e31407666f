package io.simqtt.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.config.RetainedSettings;
import io.simqtt.core.cluster.RetainedStamp;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.message.Message;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.retain.RetainedEntry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retained messages and tombstones written through to a real RocksDB store and read back. */
class DiskRetainedStoreTest {
  private static final long T0 = 1_800_000_000_000L;
  private static final RetainedSettings ONE_MINUTE = new RetainedSettings(Duration.ofMinutes(1),
      1000);

  @TempDir Path dir;
  private final AtomicLong clock = new AtomicLong(T0);

  private interface Work {
    void on(DiskRetainedStore retained);
  }

  /** Opens the store, loads the retained entries, does {@code work}, closes. */
  private DiskRetainedStore session(Work work) {
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir))) {
      DiskRetainedStore retained =
          DiskRetainedStore.open(store, ONE_MINUTE, clock::get, new BrokerMetrics());
      work.on(retained);
      return retained;
    }
  }

  private static Message message(String topic, String payload, long expiresAtMillis) {
    return new Message(topic, payload.getBytes(StandardCharsets.UTF_8), 1, true,
        MqttProperties.empty(), expiresAtMillis, "pub");
  }

  private static String text(Message m) {
    return new String(m.payload(), StandardCharsets.UTF_8);
  }

  @Test
  void setsClearsAndTombstonesSurviveAReopen() {
    session(r -> {
      r.apply("a", message("a", "a1", 0), new RetainedStamp(1, "n1"));
      r.apply("a", message("a", "a2", 0), new RetainedStamp(2, "n1"));
      r.apply("b", message("b", "b1", 0), new RetainedStamp(3, "n1"));
      r.apply("b", null, new RetainedStamp(4, "n2"));
      r.apply("c", null, new RetainedStamp(5, "n1"));
    });

    DiskRetainedStore reopened = session(r -> { });

    assertEquals("a2", text(reopened.get("a")));
    assertNull(reopened.get("b"), "a clear stays cleared");
    assertEquals(1, reopened.size());
    assertEquals(2, reopened.tombstoneCount(), "b's and c's tombstones with their stamps");
    assertEquals(1, reopened.loadedMessages());
    assertEquals(2, reopened.loadedTombstones());
    RetainedEntry b = reopened.entries().stream().filter(e -> e.topic().equals("b"))
        .findFirst().orElseThrow();
    assertEquals(new RetainedStamp(4, "n2"), b.stamp());
  }

  @Test
  void lastWriterWinsByStampStillHoldsAfterAReopen() {
    session(r -> {
      r.apply("t", message("t", "newer", 0), new RetainedStamp(10, "n2"));
      r.apply("gone", null, new RetainedStamp(10, "n1"));
    });

    session(r -> {
      assertFalse(r.apply("t", message("t", "older", 0), new RetainedStamp(9, "n3")));
      assertFalse(r.apply("t", message("t", "tie, lower node", 0), new RetainedStamp(10, "n1")));
      assertFalse(r.apply("gone", message("gone", "late", 0), new RetainedStamp(9, "n2")),
          "the tombstone keeps an older write out after the restart");
      assertTrue(r.apply("t", message("t", "newest", 0), new RetainedStamp(11, "n1")));
    });

    DiskRetainedStore third = session(r -> { });
    assertEquals("newest", text(third.get("t")));
    assertNull(third.get("gone"));
  }

  @Test
  void aMessageThatExpiredWhileDownIsDroppedAtLoadAndLeavesItsTombstone() {
    session(r -> {
      r.apply("short", message("short", "x", T0 + 1_000), new RetainedStamp(1, "n1"));
      r.apply("long", message("long", "y", T0 + 3_600_000), new RetainedStamp(2, "n1"));
    });
    clock.set(T0 + 2_000);

    DiskRetainedStore reopened = session(r -> {
      assertFalse(r.apply("short", message("short", "older", 0), new RetainedStamp(0, "n1")),
          "its stamp still beats older writes");
    });

    assertNull(reopened.get("short"));
    assertEquals("y", text(reopened.get("long")));
    assertEquals(1, reopened.loadedMessages());
    assertEquals(1, reopened.loadedTombstones());
    DiskRetainedStore again = session(r -> { });
    assertEquals(1, again.loadedMessages(), "the disk holds the tombstone now, not the message");
    assertEquals(1, again.loadedTombstones());
  }

  @Test
  void theSweepDeletesForgottenTombstonesAndExpiredMessagesFromDiskToo() {
    session(r -> {
      r.apply("cleared", null, new RetainedStamp(1, "n1"));
      r.apply("expiring", message("expiring", "x", T0 + 30_000), new RetainedStamp(2, "n1"));
      r.apply("kept", message("kept", "k", 0), new RetainedStamp(3, "n1"));
    });

    session(r -> {
      clock.set(T0 + 31_000);
      r.sweep(); // "expiring" becomes a tombstone
      clock.set(T0 + 31_000 + 61_000);
      r.sweep(); // both tombstones are past the one-minute retention
      assertEquals(0, r.tombstoneCount());
    });

    DiskRetainedStore reopened = session(r -> { });
    assertEquals(0, reopened.loadedTombstones());
    assertEquals(1, reopened.loadedMessages());
    assertArrayEquals("k".getBytes(StandardCharsets.UTF_8), reopened.get("kept").payload());
  }

  @Test
  void theNodesOwnSysFiguresAreNotWritten() {
    session(r -> r.apply("$SYS/broker/uptime", message("$SYS/broker/uptime", "5", 0),
        new RetainedStamp(1, "n1")));

    assertEquals(0, session(r -> { }).loadedMessages());
  }
}

package io.simqtt.core.retain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.cluster.RetainedStamp;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.message.Message;
import io.simqtt.core.topic.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MemoryRetainedStoreTest {
  final MemoryRetainedStore store = new MemoryRetainedStore();
  long clock;

  void put(Message m) {
    assertTrue(store.apply(m.topic(), m, new RetainedStamp(++clock, "n1")));
  }

  boolean remove(String topic) {
    boolean had = store.get(topic) != null;
    store.apply(topic, null, new RetainedStamp(++clock, "n1"));
    return had;
  }

  static Message msg(String topic, long expiresAt) {
    return new Message(topic, new byte[] {1}, 1, true, MqttProperties.empty(), expiresAt, "p");
  }

  List<String> topics(String filter, long now) {
    List<String> out = new ArrayList<>();
    for (Message m : store.match(filter, now)) {
      out.add(m.topic());
    }
    out.sort(null);
    return out;
  }

  @Test
  void putReplaceRemove() {
    Message a = msg("a/b", 0);
    put(a);
    assertSame(a, store.get("a/b"));
    assertNull(store.get("a"));
    assertNull(store.get("a/b/c"));
    Message a2 = msg("a/b", 0);
    put(a2);
    assertSame(a2, store.get("a/b"));
    assertEquals(1, store.size());
    assertTrue(remove("a/b"));
    assertFalse(remove("a/b"));
    assertFalse(remove("nope/x"));
    assertNull(store.get("a/b"));
    assertEquals(0, store.size());
  }

  @Test
  void lastWriterWinsWhateverTheOrderOfArrival() {
    Message older = msg("t", 0);
    Message newer = msg("t", 0);
    assertTrue(store.apply("t", newer, new RetainedStamp(20, "n1")));
    assertFalse(store.apply("t", older, new RetainedStamp(10, "n2")), "an older write loses");
    assertSame(newer, store.get("t"));
    assertFalse(store.apply("t", older, new RetainedStamp(20, "n0")), "same clock: node id decides");
    assertTrue(store.apply("t", older, new RetainedStamp(20, "n2")));
    assertSame(older, store.get("t"));
    assertTrue(store.apply("t", null, new RetainedStamp(30, "n1")));
    assertFalse(store.apply("t", newer, new RetainedStamp(25, "n3")), "a clear is remembered");
    assertNull(store.get("t"));
    assertEquals(0, store.size());
    List<RetainedEntry> entries = store.entries();
    assertEquals(1, entries.size());
    assertTrue(entries.get(0).isClear());
    assertEquals(new RetainedStamp(30, "n1"), entries.get(0).stamp());
  }

  @Test
  void entriesIncludeDollarTopics() {
    put(msg("$SYS/x", 0));
    put(msg("a", 0));
    assertEquals(2, store.entries().size());
  }

  @Test
  void wildcardMatch() {
    for (String t : List.of("sport", "sport/tennis", "sport/tennis/p1", "sport/golf/p1", "/finance", "x")) {
      put(msg(t, 0));
    }
    assertEquals(List.of("sport/tennis/p1"), topics("sport/tennis/p1", 0));
    assertEquals(List.of("sport", "sport/golf/p1", "sport/tennis", "sport/tennis/p1"), topics("sport/#", 0));
    assertEquals(List.of("sport/golf/p1", "sport/tennis/p1"), topics("sport/+/p1", 0));
    assertEquals(List.of("sport", "x"), topics("+", 0));
    assertEquals(List.of("/finance", "sport/tennis"), topics("+/+", 0));
    assertEquals(List.of("/finance"), topics("/+", 0));
    assertEquals(6, topics("#", 0).size());
    assertEquals(List.of(), topics("nothing/#", 0));
  }

  @Test
  void dollarTopicsOnlyForExplicitFilters() {
    put(msg("$SYS/monitor/Clients", 0));
    put(msg("a/monitor/Clients", 0));
    assertEquals(List.of("a/monitor/Clients"), topics("#", 0));
    assertEquals(List.of("a/monitor/Clients"), topics("+/monitor/Clients", 0));
    assertEquals(List.of("$SYS/monitor/Clients"), topics("$SYS/#", 0));
    assertEquals(List.of("$SYS/monitor/Clients"), topics("$SYS/monitor/+", 0));
  }

  @Test
  void expiredAreSkippedAndDropped() {
    put(msg("e/old", 1_000));
    put(msg("e/live", 5_000));
    put(msg("e/forever", 0));
    assertEquals(List.of("e/forever", "e/live", "e/old"), topics("e/#", 999));
    assertEquals(List.of("e/forever", "e/live"), topics("e/#", 1_000));
    assertNull(store.get("e/old"));
    assertEquals(2, store.size());
    assertEquals(List.of("e/forever"), topics("e/+", 10_000));
    assertEquals(1, store.size());
    assertEquals(2, store.nodeCount());
  }

  @Test
  void matchEqualsBruteForce() {
    Random r = new Random(7);
    String[] words = {"a", "b", "", "$SYS"};
    List<String> all = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      StringBuilder t = new StringBuilder(words[r.nextInt(words.length)]);
      for (int l = r.nextInt(3); l > 0; l--) {
        t.append('/').append(words[r.nextInt(3)]);
      }
      if (t.length() > 0 && store.get(t.toString()) == null) {
        put(msg(t.toString(), 0));
        all.add(t.toString());
      }
    }
    String[] filters = {"#", "+", "+/+", "a/#", "+/b/#", "$SYS/#", "/+", "a//+", "+/#", "b/+/a"};
    for (String f : filters) {
      List<String> expected = new ArrayList<>();
      for (String t : all) {
        if (Topics.matches(f, t)) {
          expected.add(t);
        }
      }
      expected.sort(null);
      assertEquals(expected, topics(f, 0), f);
    }
    for (String t : all) {
      assertTrue(remove(t));
    }
    assertEquals(0, store.size());
  }
}

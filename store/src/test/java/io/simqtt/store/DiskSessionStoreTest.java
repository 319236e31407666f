package io.simqtt.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.config.StorageSettings;
import io.simqtt.core.auth.ClientIdentity;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.UserProperty;
import io.simqtt.core.message.Message;
import io.simqtt.core.session.Delivery;
import io.simqtt.core.session.DueWill;
import io.simqtt.core.session.SessionImport;
import io.simqtt.core.session.StoredBacklog;
import io.simqtt.core.session.StoredMessage;
import io.simqtt.core.session.StoredRedirect;
import io.simqtt.core.session.StoredSession;
import io.simqtt.core.session.Will;
import io.simqtt.core.session.WriteHold;
import io.simqtt.core.topic.SubscriptionOptions;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Sessions, their messages and inbound QoS 2 ids in a real RocksDB store in a temp directory. */
class DiskSessionStoreTest {
  @TempDir Path dir;

  private record Load(List<StoredSession> sessions, List<StoredMessage> messages) {}

  private static Load load(DiskSessionStore store) {
    List<StoredSession> sessions = new ArrayList<>();
    List<StoredMessage> messages = new ArrayList<>();
    store.load(Integer.MAX_VALUE, sessions::add, messages::add, b -> {
      throw new AssertionError("no backlog with an unbounded window: " + b);
    });
    return new Load(sessions, messages);
  }

  private Load reopenAndLoad(StorageSettings settings) {
    try (DurableStore reopened = DurableStore.open(settings)) {
      return load(new DiskSessionStore(reopened));
    }
  }

  private static Message message(String topic, String payload) {
    MqttProperties p = MqttProperties.empty();
    p.contentType = "text/plain";
    p.responseTopic = "replies/" + topic;
    p.correlationData = new byte[] {1, 2, 3};
    p.payloadFormatIndicator = 1;
    p.userProperties.add(new UserProperty("k", "v"));
    p.userProperties.add(new UserProperty("k", "v2"));
    return new Message(topic, payload.getBytes(StandardCharsets.UTF_8), 2, false, p,
        1_900_000_000_000L, "publisher", "n1", 42);
  }

  private static StoredSession session(String clientId) {
    Map<String, SubscriptionOptions> subs = new LinkedHashMap<>();
    subs.put("a/+", new SubscriptionOptions(1, true, false, 2, 7));
    subs.put("b/#", new SubscriptionOptions(2, false, true, 0, 0));
    Will will = new Will(message("will/" + clientId, "gone"), 30, 600);
    return new StoredSession(clientId, subs, 3600, will, 1_700_000_000_000L, 17, Set.of(), null,
        1_700_000_000_000_123L);
  }

  private static void assertSameMessage(Message expected, Message actual) {
    assertEquals(expected.topic(), actual.topic());
    assertArrayEquals(expected.payload(), actual.payload());
    assertEquals(expected.qos(), actual.qos());
    assertEquals(expected.retain(), actual.retain());
    assertEquals(expected.expiresAtMillis(), actual.expiresAtMillis());
    assertEquals(expected.publisherId(), actual.publisherId());
    assertEquals(expected.origin(), actual.origin());
    assertEquals(expected.stamp(), actual.stamp());
    MqttProperties e = expected.properties();
    MqttProperties a = actual.properties();
    assertEquals(e.contentType, a.contentType);
    assertEquals(e.responseTopic, a.responseTopic);
    assertArrayEquals(e.correlationData, a.correlationData);
    assertEquals(e.payloadFormatIndicator, a.payloadFormatIndicator);
    assertEquals(e.userProperties, a.userProperties);
  }

  @Test
  void sessionsMessagesAndQos2IdsComeBackAfterReopenInSessionOrder() throws Exception {
    StorageSettings settings = StoreDirs.always(dir);
    // Ids of different lengths, one a prefix of another: each keeps only its own entries.
    List<String> clients = List.of("b", "a", "ab", "a-much-longer-client-id");
    try (DurableStore store = DurableStore.open(settings)) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      for (String c : clients) {
        sessions.saveSession(c, session(c));
        for (long seq = 1; seq <= 300; seq++) {
          Message m = message("t/" + c, c + "-" + seq);
          int[] ids = {7, (int) seq};
          // 4: a retained message sent on SUBSCRIBE, which a window for second copies lets pass
          sessions.addMessage(c, seq, seq == 4 ? Delivery.retainedOnSubscribe(m, 2, ids)
              : new Delivery(m, 2, seq % 2 == 0, ids, seq == 3 ? "$share/g/t/#" : null));
        }
        sessions.markSent(c, 1, 101, false);
        sessions.markSent(c, 2, 102, true);
        sessions.addInboundQos2(c, 5);
        sessions.addInboundQos2(c, 65_535);
        sessions.addInboundQos2(c, 6);
        sessions.removeInboundQos2(c, 6);
      }
    }

    Load loaded = reopenAndLoad(settings);

    assertEquals(clients.size(), loaded.sessions().size());
    for (StoredSession s : loaded.sessions()) {
      StoredSession expected = session(s.clientId());
      assertEquals(expected.subscriptions(), s.subscriptions());
      assertEquals(3600, s.expiryInterval());
      assertEquals(1_700_000_000_000L, s.offlineSinceMillis());
      assertEquals(17, s.lastPacketId());
      assertEquals(expected.lineage(), s.lineage());
      assertEquals(30, s.will().delaySeconds());
      assertEquals(600, s.will().expirySeconds());
      assertSameMessage(expected.will().message(), s.will().message());
      assertEquals(Set.of(5, 65_535), s.inboundQos2());
    }
    assertEquals(clients.size() * 300, loaded.messages().size());
    Map<String, List<StoredMessage>> byClient = new LinkedHashMap<>();
    for (StoredMessage m : loaded.messages()) {
      byClient.computeIfAbsent(m.clientId(), k -> new ArrayList<>()).add(m);
    }
    assertEquals(clients.size(), byClient.size(), "each client's entries lie together");
    for (String c : clients) {
      List<StoredMessage> mine = byClient.get(c);
      for (int i = 0; i < 300; i++) {
        StoredMessage m = mine.get(i);
        long seq = i + 1;
        assertEquals(seq, m.seq(), "in the session's order");
        assertSameMessage(message("t/" + c, c + "-" + seq), m.delivery().message());
        assertEquals(2, m.delivery().qos());
        assertEquals(seq % 2 == 0, m.delivery().retain());
        assertArrayEquals(new int[] {7, (int) seq}, m.delivery().subscriptionIds());
        assertEquals(seq == 3 ? "$share/g/t/#" : null, m.delivery().sharedGroup());
        assertEquals(seq == 4, m.delivery().onSubscribe());
        assertEquals(seq == 1 ? 101 : seq == 2 ? 102 : 0, m.packetId());
        assertEquals(seq == 2, m.released());
      }
    }
  }

  /** The client's identity, kept for its permissions after a restart, comes back as written. */
  @Test
  void aSessionsClientIdentityComesBack() throws Exception {
    StorageSettings settings = StoreDirs.always(dir);
    StoredSession c = session("c");
    ClientIdentity alice = new ClientIdentity("c", "alice", "CN=alice", "tls",
        new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 9}), 40_001));
    ClientIdentity anonymous = new ClientIdentity("d", null, null, "tcp", null);
    try (DurableStore store = DurableStore.open(settings)) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      sessions.saveSession("c", new StoredSession("c", c.subscriptions(), c.expiryInterval(),
          c.will(), c.offlineSinceMillis(), c.lastPacketId(), Set.of(), alice, c.lineage()));
      sessions.saveSession("d", new StoredSession("d", Map.of(), 60, null, 0, 0, Set.of(),
          anonymous, 0));
      sessions.saveSession("e", new StoredSession("e", Map.of(), 60, null, 0, 0, Set.of()));
    }

    Map<String, ClientIdentity> identities = new HashMap<>();
    reopenAndLoad(settings).sessions().forEach(s -> identities.put(s.clientId(), s.identity()));
    assertEquals(alice, identities.get("c"));
    assertEquals(anonymous, identities.get("d"));
    assertTrue(identities.containsKey("e"));
    assertNull(identities.get("e"), "kept without one");
  }

  /**
   * Entries written under a hold with their publisher's inbound QoS 2 id written as it is
   * released: all come back (they are one unit); an id so written after its publisher's session
   * was deleted is no id of a session stored afresh later under that client id.
   */
  @Test
  void entriesWrittenUnderAHoldWithTheirPublishersQos2IdBringAllBackAndAFreshSessionDropsAStaleId() {
    StorageSettings settings = StoreDirs.always(dir);
    try (DurableStore store = DurableStore.open(settings)) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      sessions.saveSession("sub", session("sub"));
      sessions.saveSession("pub", session("pub"));
      WriteHold first = sessions.holdWrites();
      sessions.addMessage("sub", 1, new Delivery(message("t", "m1"), 2, false, new int[0]),
          first);
      first.releaseAfter(() -> sessions.addInboundQos2("pub", 7));
      sessions.deleteSession("gone");
      WriteHold second = sessions.holdWrites();
      sessions.addMessage("sub", 2, new Delivery(message("t", "m2"), 2, false, new int[0]),
          second);
      second.releaseAfter(() -> sessions.addInboundQos2("gone", 8));
      sessions.writeSession(session("gone"), List.of(), false);
    }

    Load loaded = reopenAndLoad(settings);

    Map<String, Set<Integer>> ids = new HashMap<>();
    loaded.sessions().forEach(s -> ids.put(s.clientId(), s.inboundQos2()));
    assertEquals(Map.of("sub", Set.of(), "pub", Set.of(7), "gone", Set.of()), ids);
    assertEquals(List.of(1L, 2L), loaded.messages().stream().map(StoredMessage::seq).toList());
  }

  /**
   * A will that went out is kept under its own number until it is removed: what the session (or
   * a new one of the same client id) writes or deletes meanwhile leaves it be, a reopened store
   * gives back the ones not removed, as they were published, and numbers new ones above them.
   * One kept before its client's permissions were known comes back with the client to ask.
   */
  @Test
  void dueWillsComeBackUntilRemovedWhatEverTheirClientsSessionsDo() {
    StorageSettings settings = StoreDirs.always(dir);
    Message first = message("will/c", "first");
    ClientIdentity alice = new ClientIdentity(
        "c", "alice", null, "tcp", new InetSocketAddress(InetAddress.getLoopbackAddress(), 4321));
    long firstId;
    long secondId;
    try (DurableStore store = DurableStore.open(settings)) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      sessions.saveSession("c", session("c"));
      firstId = sessions.addWill("c", first, null);
      sessions.deleteSession("c"); // the session ended with its will
      sessions.writeSession(session("c"), List.of(), false); // its client came back
      secondId = sessions.addWill("c", message("will/c", "second"), alice);
      sessions.writeSession(session("c"), List.of(), true); // and again, with a clean start
      long gone = sessions.addWill("other", message("will/other", "gone"), null);
      sessions.removeWill("other", gone);
      assertTrue(firstId != secondId && secondId != gone && firstId != gone);
    }

    List<DueWill> due;
    long next;
    try (DurableStore reopened = DurableStore.open(settings)) {
      DiskSessionStore sessions = new DiskSessionStore(reopened);
      due = sessions.dueWills();
      next = sessions.addWill("c", message("will/c", "third"), null);
      assertEquals(1, load(sessions).sessions().size(), "the new session's record is there");
    }
    assertEquals(List.of("c " + firstId, "c " + secondId),
        due.stream().map(w -> w.clientId() + " " + w.willId()).toList());
    Message back = due.get(0).message();
    assertEquals(first.topic(), back.topic());
    assertArrayEquals(first.payload(), back.payload());
    assertEquals(first.expiresAtMillis(), back.expiresAtMillis(), "as it was published");
    assertEquals(first.properties().responseTopic, back.properties().responseTopic);
    assertNull(due.get(0).uncheckedFor(), "checked before it was kept");
    assertEquals(alice, due.get(1).uncheckedFor(), "kept unchecked: whom to ask is kept with it");
    assertEquals("will/c", due.get(1).message().topic());
    assertTrue(next > Math.max(firstId, secondId), "numbered above the kept ones: " + next);
  }

  @Test
  void aSessionWithoutWillOrSubscriptionsComesBackSo() {
    StorageSettings settings = StoreDirs.always(dir);
    try (DurableStore store = DurableStore.open(settings)) {
      new DiskSessionStore(store).saveSession(
          "bare", new StoredSession("bare", Map.of(), 60, null, 0, 0, Set.of()));
    }
    StoredSession s = reopenAndLoad(settings).sessions().get(0);
    assertEquals("bare", s.clientId());
    assertTrue(s.subscriptions().isEmpty());
    assertNull(s.will());
    assertEquals(Set.of(), s.inboundQos2());
  }

  @Test
  void deleteRemovesEverythingOfThatClientAndNothingElse() {
    StorageSettings settings = StoreDirs.always(dir);
    try (DurableStore store = DurableStore.open(settings)) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      for (String c : List.of("a", "ab", "b")) {
        sessions.saveSession(c, session(c));
        sessions.addMessage(c, 1, new Delivery(message("t", c), 1, false, new int[0]));
        sessions.addMessage(c, 2, new Delivery(message("t", c), 1, false, new int[0]));
        sessions.markSent(c, 1, 9, false);
        sessions.addInboundQos2(c, 3);
      }
      sessions.deleteSession("a");
      sessions.removeMessage("b", 1);
    }

    Load loaded = reopenAndLoad(settings);

    assertEquals(List.of("ab", "b"), loaded.sessions().stream().map(StoredSession::clientId)
        .sorted().toList());
    assertEquals(List.of("ab/1", "ab/2", "b/2"), loaded.messages().stream()
        .map(m -> m.clientId() + "/" + m.seq()).sorted().toList());
    StoredMessage b2 = loaded.messages().stream().filter(m -> m.clientId().equals("b"))
        .findFirst().orElseThrow();
    assertEquals(0, b2.packetId(), "entry 1's sent record went with it, not onto entry 2");
  }

  /**
   * Queued entries of a session arriving from another node go to the store from
   * SessionImport.FIRST_SEQ on before the session is installed. Installed (written whole), they
   * stay its entries; abandoned, they go; cut short by a crash (neither came), the next load drops
   * them: the node that sent them kept the session, and they must not come back as another
   * session's or linger as orphans.
   */
  @Test
  void importedEntriesStayWithTheirInstallAndGoWhenAbandonedOrCutShortByACrash() {
    StorageSettings settings = StoreDirs.always(dir);
    long first = SessionImport.FIRST_SEQ;
    try (DurableStore store = DurableStore.open(settings)) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      for (String c : List.of("installed", "abandoned", "cut")) {
        sessions.beginImport(c, first);
        sessions.addMessage(c, first, new Delivery(message("t", c + "1"), 1, false, new int[0]));
        sessions.addMessage(c, first + 1,
            new Delivery(message("t", c + "2"), 1, false, new int[0]));
      }
      sessions.finishImport("installed", first);
      sessions.writeSession(session("installed"), List.of(new StoredMessage(
          "installed", 1, new Delivery(message("t", "heap"), 1, false, new int[0]), 0, false)),
          false);
      sessions.abandonImport("abandoned", first);
      sessions.saveSession("cut", session("cut")); // a session of its own kept meanwhile
      sessions.addMessage("cut", 1, new Delivery(message("t", "own"), 1, false, new int[0]));
    }

    Load loaded = reopenAndLoad(settings);

    assertEquals(List.of("cut/1", "installed/1", "installed/" + first, "installed/" + (first + 1)),
        loaded.messages().stream().map(m -> m.clientId() + "/" + m.seq()).toList());
    try (DurableStore reopened = DurableStore.open(settings)) {
      assertEquals(
          List.of("cut/1", "installed/1", "installed/" + first, "installed/" + (first + 1)),
          load(new DiskSessionStore(reopened)).messages().stream()
              .map(m -> m.clientId() + "/" + m.seq()).toList(),
          "the mark of the import cut short stays until its entries are gone");
    }
  }

  /**
   * An import may begin above a session of its client that the node holds (a redirect left by an
   * earlier move, a copy still held), whose own entries may lie above FIRST_SEQ (its state came
   * in an import before): that session's end meanwhile leaves the import, the install replaces
   * the session's entries and keeps the import's as its own, and an import abandoned or cut
   * short by a crash takes exactly its own entries with it, leaving the session's.
   */
  @Test
  void anImportAboveASessionHereIsKeptByItsInstallAndDroppedExactlyWhenAbandonedOrCutShort() {
    StorageSettings settings = StoreDirs.always(dir);
    long first = SessionImport.FIRST_SEQ;
    long above = first + (1L << 32) + 7;
    List<String> clients = List.of("replaced", "ended", "abandoned", "cut");
    try (DurableStore store = DurableStore.open(settings)) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      for (String c : clients) {
        sessions.saveSession(c, session(c));
        for (long seq : new long[] {1, first, first + 1}) {
          sessions.addMessage(c, seq, queued("own" + seq));
        }
        sessions.beginImport(c, above);
        sessions.addMessage(c, above, queued("new1"));
        sessions.addMessage(c, above + 1, queued("new2"));
      }
      StoredMessage heap = new StoredMessage("x", 1, queued("heap"), 0, false);
      // A live copy replaced whole by the install.
      sessions.finishImport("replaced", above);
      sessions.writeSession(session("replaced"), List.of(withClient(heap, "replaced")), true);
      // A redirect whose entries go once passed on, then the install.
      sessions.deleteSession("ended");
      sessions.finishImport("ended", above);
      sessions.writeSession(session("ended"), List.of(withClient(heap, "ended")), false);
      sessions.abandonImport("abandoned", above);
    }

    // Clients sort by id length, then id.
    List<String> expected = List.of(
        "cut/1/own1", "cut/" + first + "/own" + first, "cut/" + (first + 1) + "/own" + (first + 1),
        "ended/1/heap", "ended/" + above + "/new1", "ended/" + (above + 1) + "/new2",
        "replaced/1/heap", "replaced/" + above + "/new1", "replaced/" + (above + 1) + "/new2",
        "abandoned/1/own1", "abandoned/" + first + "/own" + first,
        "abandoned/" + (first + 1) + "/own" + (first + 1));
    assertEquals(expected, entries(reopenAndLoad(settings)));
    try (DurableStore reopened = DurableStore.open(settings)) {
      assertEquals(expected, entries(load(new DiskSessionStore(reopened))),
          "the mark of the import cut short went with its entries");
      int[] marks = {0};
      reopened.forEach(Family.IMPORTS, (k, v) -> marks[0]++);
      assertEquals(0, marks[0], "import marks left");
    }
  }

  /**
   * A session of the client here written whole while an import's pages still come (a clean start
   * attaching here while the abandoned import's last page is still being taken) is not the
   * import's install: the import keeps its mark, so a crash before its abandon deletes its
   * entries at the next load, and they never come back as that session's queue. Before, any
   * write of the session whole ended the mark and kept the entries.
   */
  @Test
  void aSessionWrittenWholeBeforeTheImportIsFinishedLeavesItMarked() {
    StorageSettings settings = StoreDirs.always(dir);
    long first = SessionImport.FIRST_SEQ;
    try (DurableStore store = DurableStore.open(settings)) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      sessions.beginImport("c", first);
      sessions.addMessage("c", first, queued("page1"));
      sessions.writeSession(session("c"),
          List.of(new StoredMessage("c", 1, queued("clean"), 0, false)), true);
      sessions.addMessage("c", first + 1, queued("page2"));
    }

    assertEquals(List.of("c/1/clean"), entries(reopenAndLoad(settings)),
        "the import's entries came back as the session's queue");
  }

  /**
   * Two imports of one client that overlap: the first one's claim timed out while its page was
   * still being written, and its client came back at once, so the second began ROOM above the
   * first (SessionImport.firstSeqAbove) before the first one's deferred abandon came. A session of
   * the client here that ends meanwhile leaves both; the abandon deletes exactly the first one's
   * range: the second's install keeps all its entries, and no mark is left. Before, both shared one mark by client id and the abandon deleted from its
   * first seq to the client's end, the second import's entries and mark too.
   */
  @Test
  void anImportAbandonedAfterASecondOneOfItsClientBeganLeavesTheSecondWhole() {
    StorageSettings settings = StoreDirs.always(dir);
    long first = SessionImport.FIRST_SEQ;
    long second = first + SessionImport.ROOM;
    try (DurableStore store = DurableStore.open(settings)) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      sessions.saveSession("c", session("c"));
      sessions.addMessage("c", 1, queued("own"));
      sessions.beginImport("c", first);
      sessions.addMessage("c", first, queued("old1"));
      assertEquals(first, sessions.lastImport("c"));
      sessions.beginImport("c", second);
      assertEquals(second, sessions.lastImport("c"));
      sessions.addMessage("c", second, queued("new1"));
      sessions.deleteSession("c"); // its session here ends: both imports stay
      sessions.addMessage("c", first + 1, queued("old2")); // the page the abandon waited for
      sessions.abandonImport("c", first);
      assertEquals(second, sessions.lastImport("c"));
      sessions.addMessage("c", second + 1, queued("new2"));
      sessions.addMessage("c", second + 2, queued("new3"));
      sessions.finishImport("c", second);
      sessions.writeSession(session("c"),
          List.of(new StoredMessage("c", 1, queued("heap"), 0, false)), true);
      assertEquals(0, sessions.lastImport("c"));
    }

    List<String> expected = List.of("c/1/heap", "c/" + second + "/new1",
        "c/" + (second + 1) + "/new2", "c/" + (second + 2) + "/new3");
    assertEquals(expected, entries(reopenAndLoad(settings)),
        "the install lacks entries of its import, or the abandoned one's came back");
    try (DurableStore reopened = DurableStore.open(settings)) {
      assertEquals(expected, entries(load(new DiskSessionStore(reopened))));
      assertEquals(0, marks(reopened), "import marks left");
    }
  }

  /**
   * A crash while two imports of one client are marked (neither installed nor abandoned, a
   * session of the client kept here below them): the next load deletes exactly both ranges, and
   * keeps what lies outside them. Before, the second import's mark replaced the first's, and the
   * first import's entries came back as the session's queue.
   */
  @Test
  void aCrashWithTwoImportsOfOneClientMarkedDeletesExactlyBothRanges() {
    StorageSettings settings = StoreDirs.always(dir);
    long first = SessionImport.FIRST_SEQ;
    long second = first + SessionImport.ROOM;
    try (DurableStore store = DurableStore.open(settings)) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      sessions.saveSession("c", session("c"));
      sessions.addMessage("c", 1, queued("own"));
      sessions.beginImport("c", first);
      sessions.addMessage("c", first, queued("old1"));
      sessions.addMessage("c", first + 1, queued("old2"));
      sessions.beginImport("c", second);
      sessions.addMessage("c", second, queued("new1"));
      sessions.addMessage("c", second + 1, queued("new2"));
      // Not an import's: lies beyond both ranges (the second one's ends ROOM above its start).
      sessions.addMessage("c", second + SessionImport.ROOM, queued("beyond"));
    }

    List<String> expected =
        List.of("c/1/own", "c/" + (second + SessionImport.ROOM) + "/beyond");
    assertEquals(expected, entries(reopenAndLoad(settings)));
    try (DurableStore reopened = DurableStore.open(settings)) {
      assertEquals(expected, entries(load(new DiskSessionStore(reopened))),
          "the imports' ranges are not gone from the disk");
      assertEquals(0, marks(reopened), "import marks left");
    }
  }

  private static int marks(DurableStore store) {
    int[] marks = {0};
    store.forEach(Family.IMPORTS, (k, v) -> marks[0]++);
    return marks[0];
  }

  private static Delivery queued(String payload) {
    return new Delivery(message("t", payload), 1, false, new int[0]);
  }

  private static StoredMessage withClient(StoredMessage m, String clientId) {
    return new StoredMessage(clientId, m.seq(), m.delivery(), m.packetId(), m.released());
  }

  /** Each loaded entry as client/seq/payload. */
  private static List<String> entries(Load loaded) {
    return loaded.messages().stream().map(m -> m.clientId() + "/" + m.seq() + "/"
        + new String(m.delivery().message().payload(), StandardCharsets.UTF_8)).toList();
  }

  /**
   * A session written whole after a clean start or a hand-over replaces everything the store
   * held of it: a crash between the delete and the last put would lose its messages, so all of
   * it goes into one batch (RocksDB applies a batch atomically), even one past the writer's
   * batch bound.
   */
  @Test
  void aSessionWrittenWholeReachesTheDiskInOneBatchEvenPastTheBatchBound() throws Exception {
    StorageSettings settings = StoreDirs.always(dir);
    int entries = GroupCommitWriter.MAX_BATCH_WRITES;
    // Deletes of session, redirect, import mark, messages and ids; session; entries; two sent
    // records; one id.
    int unit = 5 + 1 + entries + 2 + 1;
    try (DurableStore store = DurableStore.open(settings)) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      sessions.saveSession("c", session("c"));
      for (long seq = 1; seq <= 5; seq++) {
        sessions.addMessage("c", seq, new Delivery(message("t", "old-" + seq), 1, false,
            new int[0]));
      }
      sessions.markSent("c", 1, 77, false);
      sessions.addInboundQos2("c", 4);
      List<StoredMessage> whole = new ArrayList<>();
      for (long seq = 1; seq <= entries; seq++) {
        whole.add(new StoredMessage("c", seq, new Delivery(message("t", "new-" + seq), 2, false,
            new int[0]), seq <= 2 ? (int) seq : 0, seq == 1));
      }
      StoredSession c = session("c");
      long batchesBefore;
      long writesBefore;
      CompletableFuture<Void> written = new CompletableFuture<>();
      // Everything in the block is queued before the writer takes any of it.
      try (WriterHold hold = WriterHold.on(sessions)) {
        batchesBefore = store.commitBatches();
        writesBefore = store.committedWrites();
        sessions.writeSession(new StoredSession("c", c.subscriptions(), c.expiryInterval(),
            c.will(), c.offlineSinceMillis(), c.lastPacketId(), Set.of(9)), whole, true);
        assertEquals(unit, store.pendingWrites(), "the queue's bound counts every write of it");
        sessions.afterDurable(() -> written.complete(null));
      }
      written.get(30, TimeUnit.SECONDS);

      assertEquals(1, store.commitBatches() - batchesBefore, "one batch, not cut at the bound");
      assertEquals(unit, store.committedWrites() - writesBefore);
    }

    Load loaded = reopenAndLoad(settings);

    assertEquals(1, loaded.sessions().size());
    assertEquals(Set.of(9), loaded.sessions().get(0).inboundQos2(), "the old ids replaced");
    assertEquals(entries, loaded.messages().size(), "the old entries replaced");
    StoredMessage first = loaded.messages().get(0);
    assertEquals("new-1", new String(first.delivery().message().payload(),
        StandardCharsets.UTF_8));
    assertEquals(1, first.packetId());
    assertTrue(first.released());
    assertEquals(2, loaded.messages().get(1).packetId());
    assertEquals(0, loaded.messages().get(2).packetId(), "entry 3's sent record is gone");
  }

  @Test
  void afterDurableRunsOnlyOnceItsWritesAreSyncedToDisk() throws Exception {
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir))) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      CompletableFuture<List<String>> seenByAction = new CompletableFuture<>();
      AtomicBoolean syncedBefore = new AtomicBoolean();
      sessions.addMessage("c", 1, new Delivery(message("t", "one"), 1, false, new int[0]));
      sessions.addMessage("c", 2, new Delivery(message("t", "two"), 1, false, new int[0]));
      sessions.afterDurable(() -> {
        syncedBefore.set(store.syncs() > 0);
        List<String> found = new ArrayList<>();
        store.forEach(Family.MESSAGES, (k, v) -> found.add(Keys.clientIdOf(k) + "/"
            + Keys.seqOf(k)));
        seenByAction.complete(found);
      });
      assertEquals(List.of("c/1", "c/2"), seenByAction.get(10, TimeUnit.SECONDS),
          "the action sees both writes in the database");
      assertTrue(syncedBefore.get(), "and the batch holding them was synced first");
    }
  }

  @Test
  void manyThreadsWritingAtOnceThroughASmallQueueLoseNothing() throws Exception {
    // 100 pending writes at most: the writers wait for the disk over and over.
    StorageSettings settings = StoreDirs.settings(dir, StorageSettings.Sync.ALWAYS, 100);
    int threads = 8;
    int each = 2_000;
    long stalls;
    try (DurableStore store = DurableStore.open(settings)) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      CountDownLatch durable = new CountDownLatch(threads);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String client = "client-" + t;
        done.add(pool.submit(() -> {
          sessions.saveSession(client, session(client));
          for (long seq = 1; seq <= each; seq++) {
            sessions.addMessage(client, seq,
                new Delivery(message("t", client + "-" + seq), 1, false, new int[0]));
            assertTrue(store.pendingWrites() <= 100 + threads, "bounded");
          }
          sessions.afterDurable(durable::countDown);
        }));
      }
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
      assertTrue(durable.await(60, TimeUnit.SECONDS), "every writer's last write durable");
      pool.shutdown();
      stalls = store.writeStalls();
      assertTrue(store.commitBatches() < store.committedWrites(), "writes were grouped");
    }
    assertTrue(stalls > 0, "the bound was reached and waited at");

    Load loaded = reopenAndLoad(settings);

    assertEquals(threads, loaded.sessions().size());
    assertEquals(threads * each, loaded.messages().size());
    Map<String, Long> last = new LinkedHashMap<>();
    for (StoredMessage m : loaded.messages()) {
      long expected = last.getOrDefault(m.clientId(), 0L) + 1;
      assertEquals(expected, m.seq(), "no gap, no reordering for " + m.clientId());
      assertEquals(m.clientId() + "-" + m.seq(),
          new String(m.delivery().message().payload(), StandardCharsets.UTF_8));
      last.put(m.clientId(), m.seq());
    }
  }

  @ParameterizedTest
  @EnumSource(StorageSettings.Sync.class)
  void bothSyncModesKeepWhatWasWritten(StorageSettings.Sync sync) throws Exception {
    StorageSettings settings = StoreDirs.settings(dir, sync, 1_000);
    try (DurableStore store = DurableStore.open(settings)) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      sessions.saveSession("c", session("c"));
      sessions.addMessage("c", 1, new Delivery(message("t", "x"), 1, false, new int[0]));
      CountDownLatch durable = new CountDownLatch(1);
      sessions.afterDurable(durable::countDown);
      assertTrue(durable.await(10, TimeUnit.SECONDS));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (store.syncs() == 0 && System.nanoTime() < deadline) {
        Thread.onSpinWait(); // the interval sync follows within 5 ms
      }
      assertTrue(store.syncs() > 0, "the write-ahead log was synced");
    }
    assertEquals(1, reopenAndLoad(settings).messages().size());
  }

  private static Delivery numbered(String clientId, long seq, String sharedGroup) {
    return new Delivery(message("t/" + clientId, clientId + "-" + seq), 1, false, new int[0],
        sharedGroup);
  }

  /** The queued bytes of {@code clientId}'s messages {@code from} to {@code to}. */
  private static long bytes(String clientId, long from, long to) {
    long n = 0;
    for (long seq = from; seq <= to; seq++) {
      n += numbered(clientId, seq, null).queuedBytes();
    }
    return n;
  }

  private static List<String> seqs(List<StoredMessage> page) {
    return page.stream()
        .map(m -> m.clientId() + "/" + m.seq() + (m.packetId() == 0 ? "" : " sent " + m.packetId()))
        .toList();
  }

  @Test
  void aPageComesInSeqOrderResumesAfterASeqAndStopsAtTheClientsRange() throws Exception {
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir))) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      // "a" is a prefix of "ab": a page of "a" must not run on into "ab" (nor into "b").
      for (String c : List.of("ab", "a", "b")) {
        for (long seq = 1; seq <= 25; seq++) {
          sessions.addMessage(c, seq, numbered(c, seq, null));
        }
      }
      sessions.markSent("a", 2, 77, false);
      sessions.removeMessage("a", 13);

      // Read right after the writes were queued: the page sees them all.
      assertEquals(List.of("a/1", "a/2 sent 77", "a/3", "a/4"), seqs(sessions.messages("a", 0, 4)));
      assertEquals(
          List.of("a/11", "a/12", "a/14", "a/15"), seqs(sessions.messages("a", 10, 4)),
          "resumes after the seq given, over the removed entry");
      assertEquals(
          List.of("a/22", "a/23", "a/24", "a/25"), seqs(sessions.messages("a", 21, 100)),
          "stops at the end of the client's range");
      assertEquals(List.of(), sessions.messages("a", 25, 100));
      assertEquals(List.of(), sessions.messages("nobody", 0, 100));
      StoredMessage first = sessions.messages("ab", 0, 1).get(0);
      assertEquals("ab-1", new String(first.delivery().message().payload(),
          StandardCharsets.UTF_8));

      sessions.addMessage("a", 26, numbered("a", 26, null));
      CompletableFuture<String> thread = new CompletableFuture<>();
      CompletableFuture<List<StoredMessage>> page = new CompletableFuture<>();
      sessions.readMessages("a", 24, 10, p -> {
        thread.complete(Thread.currentThread().getName());
        page.complete(p);
      }, page::completeExceptionally);
      assertEquals(List.of("a/25", "a/26"), seqs(page.get(10, TimeUnit.SECONDS)),
          "read after the writes queued before it");
      assertEquals("simqtt-store-reader", thread.get(10, TimeUnit.SECONDS));
    }
  }

  /**
   * A page read on the reader thread that fails (here a damaged entry) is counted and handed to
   * the caller's failure callback, so the session can ask again (before, the exception ended the
   * task and the session waited for a page that never came); once the entry reads, so does the
   * page.
   */
  @Test
  void aPageReadThatFailsIsCountedAndReportedAndTheNextOneReads() throws Exception {
    try (DurableStore store = DurableStore.open(StoreDirs.always(dir))) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      for (long seq = 1; seq <= 3; seq++) {
        sessions.addMessage("a", seq, numbered("a", seq, null));
      }
      byte[] key = Keys.message("a", 2, Keys.DELIVERY);
      store.writer().put(Family.MESSAGES, key, new byte[] {0x0A, 0x7F}); // a truncated field

      CompletableFuture<RuntimeException> failure = new CompletableFuture<>();
      sessions.readMessages("a", 0, 10,
          p -> failure.completeExceptionally(new AssertionError("read a damaged page: " + p)),
          failure::complete);
      RuntimeException e = failure.get(10, TimeUnit.SECONDS);
      assertTrue(e.getMessage().contains("is damaged"), e.getMessage());
      assertEquals(1, store.readErrors());

      sessions.addMessage("a", 2, numbered("a", 2, null));
      CompletableFuture<List<StoredMessage>> page = new CompletableFuture<>();
      sessions.readMessages("a", 0, 10, page::complete, page::completeExceptionally);
      assertEquals(List.of("a/1", "a/2", "a/3"), seqs(page.get(10, TimeUnit.SECONDS)));
      assertEquals(1, store.readErrors());
    }
  }

  @Test
  void loadReadsEachQueueUpToTheWindowAndCountsTheRestAsItsBacklog() {
    StorageSettings settings = StoreDirs.always(dir);
    try (DurableStore store = DurableStore.open(settings)) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      for (String c : List.of("a", "b", "c")) {
        sessions.saveSession(c, session(c));
      }
      for (long seq = 1; seq <= 10; seq++) {
        sessions.addMessage("a", seq, numbered("a", seq, seq >= 8 ? "$share/g/t" : null));
      }
      sessions.markSent("a", 1, 5, false);
      sessions.markSent("a", 2, 6, true);
      sessions.addMessage("b", 1, numbered("b", 1, null));
      sessions.addMessage("b", 2, numbered("b", 2, null));
      sessions.addMessage("c", 1, numbered("c", 1, null));
      sessions.addMessage("c", 2, numbered("c", 2, null));
      sessions.addMessage("c", 3, numbered("c", 3, null));
    }

    List<StoredMessage> messages = new ArrayList<>();
    List<StoredBacklog> backlogs = new ArrayList<>();
    try (DurableStore reopened = DurableStore.open(settings)) {
      new DiskSessionStore(reopened).load(2, s -> { }, messages::add, backlogs::add);
    }

    assertEquals(
        List.of("a/1 sent 5", "a/2 sent 6", "a/3", "a/4", "b/1", "b/2", "c/1", "c/2"),
        seqs(messages),
        "every entry that went out, then two queued per client");
    assertEquals(
        List.of(
            new StoredBacklog("a", 6, bytes("a", 5, 10), 3, 4, 10),
            new StoredBacklog("c", 1, bytes("c", 3, 3), 0, 2, 3)),
        backlogs,
        "the rest counted (shared ones and bytes too), with the range a page read starts from");
  }

  /**
   * A session that moved leaves its redirect in its place, in one batch: a kill right after it
   * finds the redirect and nothing of the session (its entries and inbound QoS 2 ids gone). The
   * redirect stays until it ends, or until a session of its client is written or deleted here.
   */
  @Test
  void aRedirectTakesItsSessionsPlaceUntilItEndsOrItsClientIsWrittenOrDeleted() throws Exception {
    Path at = dir.resolve("store");
    Path killed = dir.resolve("killed");
    StoredRedirect moved =
        new StoredRedirect("a", "n3", session("a").subscriptions(), 1_700_000_000_000L, 5);
    try (DurableStore store = DurableStore.open(StoreDirs.always(at))) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      for (String c : List.of("a", "ab")) {
        sessions.writeSession(session(c), List.of(new StoredMessage(c, 1,
            new Delivery(message("t", c), 1, false, new int[0]), 0, false)), false);
        sessions.addInboundQos2(c, 3);
      }
      sessions.redirectSession(moved);
      CompletableFuture<Void> copied = new CompletableFuture<>();
      sessions.afterDurable(() -> {
        store.checkpoint(killed); // the kill: right after the redirect's batch
        copied.complete(null);
      });
      copied.get(10, TimeUnit.SECONDS);
    }

    try (DurableStore store = DurableStore.open(StoreDirs.always(killed))) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      Load loaded = load(sessions);
      assertEquals(List.of("ab"), loaded.sessions().stream().map(StoredSession::clientId)
          .toList());
      assertEquals(Set.of(3), loaded.sessions().get(0).inboundQos2());
      assertEquals(List.of("ab/1"), loaded.messages().stream()
          .map(m -> m.clientId() + "/" + m.seq()).toList());
      assertEquals(List.of(moved), sessions.redirects());
      sessions.endRedirect("a");
      sessions.redirectSession(new StoredRedirect("ab", "n2", Map.of(), 7, 0));
      sessions.redirectSession(new StoredRedirect("b", "n2", Map.of(), 8, 0));
    }
    try (DurableStore store = DurableStore.open(StoreDirs.always(killed))) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      assertEquals(List.of(), load(sessions).sessions());
      assertEquals(List.of(new StoredRedirect("b", "n2", Map.of(), 8, 0),
          new StoredRedirect("ab", "n2", Map.of(), 7, 0)), sessions.redirects());
      sessions.writeSession(session("ab"), List.of(), false); // its client connected here
      sessions.deleteSession("b");
    }
    try (DurableStore store = DurableStore.open(StoreDirs.always(killed))) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      assertEquals(List.of("ab"), load(sessions).sessions().stream()
          .map(StoredSession::clientId).toList());
      assertEquals(List.of(), sessions.redirects());
    }
  }
}

package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.config.SettingsLoader;
import io.simqtt.core.Broker;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.PacketType;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.message.Message;
import io.simqtt.core.session.RecordingSessionStore;
import io.simqtt.core.session.SessionStore;
import io.simqtt.core.session.StoredSession;
import io.simqtt.core.session.Will;
import io.simqtt.core.topic.SubscriptionOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Durable mode as clients see it, over real sockets, with a store whose durability point the test
 * moves ({@link RecordingSessionStore}): when a publisher is acknowledged, what a client finds
 * after the broker restarts from the store, and what never reaches the wire before it is durable.
 */
class DurableSessionTest {
  /** How long nothing must arrive for "not sent". */
  private static final Duration QUIET = Duration.ofMillis(300);
  private static final long HOUR = 3600;

  @Test
  void aQos1PublishToAStoredOfflineSubscriberIsAckedOnlyOnceDurable() {
    RecordingSessionStore store = new RecordingSessionStore();
    try (BrokerFixture f = BrokerFixture.start("", store)) {
      storedSubscriber(f, store, "sub", "d/t", 1);
      store.hold();
      try (RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
        pub.connect("pub");
        int id = pub.publish("d/t", 1, false, bytes("m1"));
        await("the entry written", () -> !store.calls("addMessage", "sub").isEmpty());
        assertNull(pub.read(QUIET), "no PUBACK before the entry is durable");

        store.makeDurable();
        PubResponse ack = pub.expect(PubResponse.class);
        assertEquals(PacketType.PUBACK, ack.type());
        assertEquals(id, ack.packetId());
        assertEquals(ReasonCode.SUCCESS, ack.reasonCode());

        // Still holding: what writes nothing is not held.
        int none = pub.publish("nobody/t", 1, false, bytes("x"));
        PubResponse noMatch = pub.expect(PubResponse.class);
        assertEquals(none, noMatch.packetId());
        assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, noMatch.reasonCode());
        pub.publish("d/t", 0, false, bytes("q0"));
        pub.send(MqttPacket.PingReq.INSTANCE);
        pub.expect(MqttPacket.PingResp.class);
        assertEquals(0, store.waiting(), "a QoS 0 publish waits for nothing");
      }
    }
  }

  @Test
  void acknowledgementsGoOutInPublishOrder() {
    RecordingSessionStore store = new RecordingSessionStore();
    try (BrokerFixture f = BrokerFixture.start("", store)) {
      storedSubscriber(f, store, "sub", "d/t", 1);
      store.hold();
      try (RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
        pub.connect("pub");
        int held = pub.publish("d/t", 1, false, bytes("m1"));
        int second = pub.publish("nobody/t", 1, false, bytes("m2"));
        int third = pub.publish("nobody/t", 2, false, bytes("m3"));
        assertNull(pub.read(QUIET), "nothing overtakes the acknowledgement that waits");

        store.makeDurable();
        List<String> acks = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          PubResponse r = pub.expect(PubResponse.class);
          acks.add(r.type() + " " + r.packetId());
        }
        assertEquals(
            List.of("PUBACK " + held, "PUBACK " + second, "PUBREC " + third), acks);
      }
    }
  }

  @Test
  void anOutboundQos2PublishWaitsUntilItsPacketIdIsDurable() {
    RecordingSessionStore store = new RecordingSessionStore();
    try (BrokerFixture f = BrokerFixture.start("", store);
        RawClient sub = RawClient.open(f, MqttVersion.MQTT_5);
        RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
      sub.connect("sub", true, 0, RawClient.sessionExpiry(HOUR));
      sub.subscribe("q2/t", 2);
      pub.connect("pub");
      store.hold();
      pub.publish("q2/t", 2, false, bytes("exactly"));
      await("the packet id written", () -> !store.calls("markSent", "sub").isEmpty());
      assertNull(sub.read(QUIET), "no PUBLISH before its packet id is durable");

      store.makeDurable();
      Publish p = sub.expect(Publish.class);
      assertEquals("exactly", text(p.payload()));
      assertFalse(p.dup());
      String marked = store.calls("markSent", "sub").get(0).args();
      assertEquals(" " + p.packetId() + " false", marked.substring(marked.indexOf(' ')));
    }
  }

  @Test
  void aPubrelWaitsUntilTheReleasedMarkIsDurable() {
    RecordingSessionStore store = new RecordingSessionStore();
    try (BrokerFixture f = BrokerFixture.start("", store);
        RawClient sub = RawClient.open(f, MqttVersion.MQTT_5);
        RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
      sub.connect("sub", true, 0, RawClient.sessionExpiry(HOUR));
      sub.subscribe("q2/t", 2);
      pub.connect("pub");
      pub.publish("q2/t", 2, false, bytes("exactly"));
      Publish p = sub.expect(Publish.class);
      store.hold();
      sub.send(RawClient.ack(PacketType.PUBREC, p.packetId()));
      await("the released mark written", () -> store.calls("markSent", "sub").stream()
          .anyMatch(c -> c.args().endsWith(" true")));
      // A client takes a PUBREL as the end of the message: were the mark lost in a crash, the
      // PUBLISH would come back under this id and read as a new message.
      assertNull(sub.read(QUIET), "no PUBREL before the released mark is durable");

      store.makeDurable();
      PubResponse rel = sub.expect(PubResponse.class);
      assertEquals(PacketType.PUBREL, rel.type());
      assertEquals(p.packetId(), rel.packetId());
    }
  }

  /**
   * A stored publisher's QoS 2 message that no stored session here takes: the publisher's session
   * writes the packet id itself, and the PUBREC waits until that is durable.
   */
  @Test
  void aQos2PubrecWaitsUntilThePacketIdIsDurable() {
    RecordingSessionStore store = new RecordingSessionStore();
    try (BrokerFixture f = BrokerFixture.start("", store)) {
      try (RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
        pub.connect("pub", true, 0, RawClient.sessionExpiry(HOUR));
        store.hold();
        int id = pub.publish("nobody/t", 2, false, bytes("once"));
        await("the packet id written", () -> !store.calls("addInboundQos2", "pub").isEmpty());
        // A client that lost this PUBREC in a crash resends the PUBLISH: only a durable id keeps
        // the restarted node from routing it a second time.
        assertNull(pub.read(QUIET), "no PUBREC before the packet id is durable");

        store.makeDurable();
        PubResponse rec = pub.expect(PubResponse.class);
        assertEquals(PacketType.PUBREC, rec.type());
        assertEquals(id, rec.packetId());
      }
    }
  }

  /**
   * A stored publisher's QoS 2 id goes to the store in one unit with the stored subscriber's
   * entry: a kill -9 right after that entry became durable keeps the id too, so the client's
   * resend after the restart is answered without routing the message again. (Before, the id was
   * written one durability round after the entry, and the resend reached the subscriber twice.)
   */
  @Test
  void aStoredPublishersQos2IdIsDurableWithTheEntryOfItsMessage() {
    RecordingSessionStore store = new RecordingSessionStore();
    RecordingSessionStore afterKill;
    int id;
    try (BrokerFixture f = BrokerFixture.start("", store)) {
      storedSubscriber(f, store, "sub", "eo/t", 2);
      try (RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
        pub.connect("pub", true, 0, RawClient.sessionExpiry(HOUR));
        store.hold();
        id = pub.publish("eo/t", 2, false, bytes("once"));
        await("the entry written", () -> !store.calls("addMessage", "sub").isEmpty());
        assertNull(pub.read(QUIET), "no PUBREC before the entry is durable");
        store.makeDurable();
        afterKill = store.afterKill(); // killed before anything else reached the store
      }
    }
    resendAfterRestartIsRoutedOnce(afterKill, id);
  }

  /**
   * With two stored subscribers, both copies are written under the message's hold and the
   * publisher's id before its release: no batch ends after the first copy, so a kill -9 right
   * after the first batch that holds a copy keeps both copies and the id, and the client's resend
   * after the restart is answered without routing: each subscriber gets the message once. A
   * batch that ended between the copies would keep the first without the id, and the resend
   * would reach its subscriber twice. {@code HeldWritesTest} shows the same on RocksDB.
   */
  @Test
  void aKillAfterTheFirstOfTwoSubscribersCopiesKeepsBothAndTheIdSoEachGetsTheMessageOnce() {
    RecordingSessionStore store = new RecordingSessionStore();
    RecordingSessionStore afterKill;
    int id;
    try (BrokerFixture f = BrokerFixture.start("", store)) {
      storedSubscriber(f, store, "sub", "eo/t", 2);
      storedSubscriber(f, store, "sub2", "eo/t", 2);
      try (RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
        pub.connect("pub", true, 0, RawClient.sessionExpiry(HOUR));
        store.hold();
        store.keepAfterFirstMessageWrite();
        id = pub.publish("eo/t", 2, false, bytes("once"));
        await("the hold released", () -> store.afterFirstMessageWrite() != null);
        afterKill = store.afterFirstMessageWrite(); // the first batch with a copy, then the kill
      }
    }
    assertEquals(2, afterKill.messages("sub").size() + afterKill.messages("sub2").size());
    assertEquals(Set.of(id), afterKill.inboundQos2("pub"));
    try (BrokerFixture f = BrokerFixture.start("", afterKill)) {
      try (RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertTrue(pub.connect("pub", false, 0, RawClient.sessionExpiry(HOUR)).sessionPresent());
        pub.send(new Publish("eo/t", 2, false, true, id, bytes("once"), MqttProperties.empty()));
        assertEquals(PacketType.PUBREC, pub.expect(PubResponse.class).type());
      }
      for (String sub : List.of("sub", "sub2")) {
        assertEquals(List.of("once"), received(f, sub), sub + " got the message once");
      }
    }
  }

  /** What stored subscriber {@code id} receives when it comes back, each PUBLISH acknowledged. */
  private static List<String> received(BrokerFixture f, String id) {
    try (RawClient sub = RawClient.open(f, MqttVersion.MQTT_5)) {
      assertTrue(sub.connect(id, false, 0, RawClient.sessionExpiry(HOUR)).sessionPresent());
      List<String> got = new ArrayList<>();
      MqttPacket next;
      while ((next = sub.read(QUIET)) != null) {
        if (next instanceof Publish p) {
          got.add(text(p));
          sub.send(RawClient.ack(PacketType.PUBREC, p.packetId()));
        }
      }
      return got;
    }
  }

  /**
   * A publisher whose connection dropped before its PUBREC resends the QoS 2 PUBLISH on a new
   * connection while the first copy is not durable yet: the resend is not routed again, and its
   * PUBREC waits for the first copy (before, it went out at once, so the client could finish the
   * message with PUBREL / PUBCOMP while a kill would still lose it).
   */
  @Test
  void aQos2ResendOnANewConnectionIsAnsweredOnlyOnceTheFirstCopyIsDurable() {
    RecordingSessionStore store = new RecordingSessionStore();
    try (BrokerFixture f = BrokerFixture.start("", store)) {
      storedSubscriber(f, store, "sub", "eo/t", 2);
      store.hold();
      int id;
      try (RawClient first = RawClient.open(f, MqttVersion.MQTT_5)) {
        first.connect("pub", true, 0, RawClient.sessionExpiry(HOUR));
        id = first.publish("eo/t", 2, false, bytes("once"));
        await("the entry written", () -> !store.calls("addMessage", "sub").isEmpty());
        first.abort();
      }
      try (RawClient again = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertTrue(again.connect("pub", false, 0, RawClient.sessionExpiry(HOUR))
            .sessionPresent());
        again.send(new Publish("eo/t", 2, false, true, id, bytes("once"),
            MqttProperties.empty()));
        again.send(MqttPacket.PingReq.INSTANCE);
        MqttPacket next = again.expect(MqttPacket.class);
        assertTrue(next instanceof MqttPacket.PingResp,
            "the resend is not answered at once (PINGRESP came first): " + next);

        assertEquals(List.of(new RecordingSessionStore.Call("addInboundQos2", "pub",
            Integer.toString(id))), store.calls("addInboundQos2", "pub"),
            "the id written with the entry");
        store.makeDurable();
        PubResponse rec = again.expect(PubResponse.class);
        assertEquals(PacketType.PUBREC, rec.type());
        assertEquals(id, rec.packetId());
        assertEquals(1, store.calls("addMessage", "sub").size(), "routed once");
      }
    }
  }

  @Test
  void aRetainedQos1PublishIsAckedOnlyOnceTheStoreHasWrittenIt() {
    RecordingSessionStore store = new RecordingSessionStore();
    try (BrokerFixture f = BrokerFixture.start("", store);
        RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
      pub.connect("pub");
      store.hold();
      int id = pub.publish("nobody/r", 1, true, bytes("kept"));
      await("the PUBACK waiting", () -> store.waiting() > 0);
      assertNull(pub.read(QUIET), "no PUBACK before the store's writes are durable");

      store.makeDurable();
      PubResponse ack = pub.expect(PubResponse.class);
      assertEquals(id, ack.packetId());
      assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, ack.reasonCode());
    }
  }

  @Test
  void aRestartedBrokerGivesBackQueuedAndInflightMessagesInOrder() {
    RecordingSessionStore store = new RecordingSessionStore();
    RecordingSessionStore afterCrash;
    int m1Id;
    int m2Id;
    int m3Id;
    try (BrokerFixture f = BrokerFixture.start("", store);
        RawClient sub = RawClient.open(f, MqttVersion.MQTT_5);
        RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
      MqttProperties p = RawClient.sessionExpiry(HOUR);
      p.receiveMaximum = 3;
      sub.connect("sub", true, 0, p);
      sub.subscribe("r/t", 2);
      pub.connect("pub");
      pub.publish("r/t", 1, false, bytes("m1"));
      pub.publish("r/t", 2, false, bytes("m2"));
      pub.publish("r/t", 2, false, bytes("m3"));
      pub.publish("r/t", 1, false, bytes("m4"));
      pub.publish("r/t", 1, false, bytes("m5"));
      for (int i = 0; i < 5; i++) {
        pub.expect(PubResponse.class);
      }
      Publish m1 = sub.expect(Publish.class);
      Publish m2 = sub.expect(Publish.class);
      Publish m3 = sub.expect(Publish.class);
      assertEquals(List.of("m1", "m2", "m3"), List.of(text(m1), text(m2), text(m3)));
      m1Id = m1.packetId();
      m2Id = m2.packetId();
      m3Id = m3.packetId();
      // m2 gets PUBREC (so PUBREL goes out and only PUBCOMP is awaited); nothing else answered.
      sub.send(RawClient.ack(PacketType.PUBREC, m2Id));
      assertEquals(PacketType.PUBREL, sub.expect(PubResponse.class).type());
      await("m2 stored as released",
          () -> store.messages("sub").values().stream().anyMatch(m -> m.released()));
      afterCrash = store.copy();
    }

    try (BrokerFixture f = BrokerFixture.start("", afterCrash);
        RawClient sub = RawClient.open(f, MqttVersion.MQTT_5)) {
      assertTrue(
          sub.connect("sub", false, 0, RawClient.sessionExpiry(HOUR)).sessionPresent(),
          "the session is back after the restart");
      List<String> publishes = new ArrayList<>();
      List<Integer> pubrels = new ArrayList<>();
      MqttPacket next;
      while ((next = sub.read(QUIET)) != null) {
        if (next instanceof Publish pp) {
          publishes.add(text(pp) + (pp.dup() ? " dup " + pp.packetId() : ""));
        } else if (next instanceof PubResponse r && r.type() == PacketType.PUBREL) {
          pubrels.add(r.packetId());
        }
      }
      assertEquals(
          List.of("m1 dup " + m1Id, "m3 dup " + m3Id, "m4", "m5"),
          publishes,
          "in flight again under their packet ids, then the queue in order; m2 not again");
      assertEquals(List.of(m2Id), pubrels, "the released QoS 2 message gets its PUBREL only");
    }
  }

  @Test
  void aQos2MessageStaysExactlyOnceAcrossARestartMidHandshake() {
    RecordingSessionStore store = new RecordingSessionStore();
    RecordingSessionStore afterCrash;
    int id;
    try (BrokerFixture f = BrokerFixture.start("", store)) {
      storedSubscriber(f, store, "sub", "eo/t", 2);
      try (RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
        pub.connect("pub", true, 0, RawClient.sessionExpiry(HOUR));
        id = pub.publish("eo/t", 2, false, bytes("once"));
        assertEquals(PacketType.PUBREC, pub.expect(PubResponse.class).type());
        assertEquals(Set.of(id), store.inboundQos2("pub"));
        afterCrash = store.copy(); // PUBREC seen, PUBREL not sent yet
      }
    }
    resendAfterRestartIsRoutedOnce(afterCrash, id);
  }

  /**
   * A broker restarted from {@code restarted}: the publisher "pub", which did not see its PUBREC
   * for {@code id}, sends the PUBLISH again and finishes it; the stored subscriber "sub" gets the
   * message once.
   */
  private static void resendAfterRestartIsRoutedOnce(RecordingSessionStore restarted, int id) {
    try (BrokerFixture f = BrokerFixture.start("", restarted)) {
      try (RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertTrue(pub.connect("pub", false, 0, RawClient.sessionExpiry(HOUR)).sessionPresent());
        pub.send(new Publish("eo/t", 2, false, true, id, bytes("once"), MqttProperties.empty()));
        PubResponse rec = pub.expect(PubResponse.class);
        assertEquals(PacketType.PUBREC, rec.type());
        pub.send(RawClient.ack(PacketType.PUBREL, id));
        PubResponse comp = pub.expect(PubResponse.class);
        assertEquals(PacketType.PUBCOMP, comp.type());
        assertEquals(ReasonCode.SUCCESS, comp.reasonCode());
        await("the id released in the store", () -> restarted.inboundQos2("pub").isEmpty());
      }
      try (RawClient sub = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertTrue(sub.connect("sub", false, 0, RawClient.sessionExpiry(HOUR)).sessionPresent());
        List<String> got = new ArrayList<>();
        MqttPacket next;
        while ((next = sub.read(QUIET)) != null) {
          if (next instanceof Publish p) {
            got.add(text(p));
            sub.send(RawClient.ack(PacketType.PUBREC, p.packetId()));
          }
        }
        assertEquals(List.of("once"), got, "queued before the restart, routed once");
      }
    }
  }

  @Test
  void expiredSessionsAreNotRestoredAndDueWillsGoOutAtStart() {
    long now = System.currentTimeMillis();
    RecordingSessionStore store = new RecordingSessionStore();
    SubscriptionOptions qos1 = new SubscriptionOptions(1, false, false, 0, 0);
    store.put(stored("watcher", Map.of("will/#", qos1), HOUR, null, now - 1000));
    store.put(stored("gone", Map.of(), 60, will("will/gone", 0), now - 120_000));
    store.put(stored("late", Map.of(), HOUR, will("will/late", 30), now - 120_000));
    store.put(stored("waiting", Map.of(), HOUR, will("will/waiting", 600), now - 120_000));

    try (BrokerFixture f = BrokerFixture.start("", store)) {
      assertNull(store.session("gone"), "expired while the node was down: deleted at start");
      assertNotNull(store.session("late"));
      assertNull(store.session("late").will(), "its will went out: not kept any more");
      assertNotNull(store.session("waiting").will(), "its delay has not passed");
      assertEquals(3, f.broker().sessions().size(), "watcher, late, waiting");

      try (RawClient watcher = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertTrue(
            watcher.connect("watcher", false, 0, RawClient.sessionExpiry(HOUR)).sessionPresent());
        List<String> topics = new ArrayList<>();
        MqttPacket next;
        while ((next = watcher.read(QUIET)) != null) {
          if (next instanceof Publish p) {
            topics.add(p.topic());
            watcher.puback(p.packetId());
          }
        }
        assertEquals(Set.of("will/gone", "will/late"), Set.copyOf(topics));
        assertEquals(2, topics.size());
      }
      try (RawClient gone = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertFalse(
            gone.connect("gone", false, 0, RawClient.sessionExpiry(HOUR)).sessionPresent(),
            "an expired session is not restored");
      }
    }
  }

  /**
   * A client's stored session ends while its will waits for its delay (the client comes back
   * with a clean start): the will goes out and the store keeps it until the watcher's copy is
   * durable, apart from the new session's record, which the will's removal leaves alone. Once
   * that removal is durable a restart sends the will no more: the watcher gets it once, and the
   * client's new session is there as it wrote it.
   */
  @Test
  void aWillWhoseCopiesAreDurableIsNotSentAgainAndTheClientsNewSessionKeepsItsRecord() {
    RecordingSessionStore store = new RecordingSessionStore();
    RecordingSessionStore afterKill;
    try (BrokerFixture f = BrokerFixture.start("", store)) {
      storedSubscriber(f, store, "watcher", "will/#", 1);
      try (RawClient dying = RawClient.open(f, MqttVersion.MQTT_5)) {
        MqttProperties delay = MqttProperties.empty();
        delay.willDelayInterval = HOUR;
        dying.connect(RawClient.withWill(
            RawClient.connectPacket(MqttVersion.MQTT_5, "dying", true, 0,
                RawClient.sessionExpiry(HOUR)),
            new MqttPacket.Will("will/dying", bytes("bye"), 1, false, delay)));
        dying.abort();
      }
      await("the session stored offline with its will", () -> store.session("dying") != null
          && store.session("dying").offlineSinceMillis() != 0
          && store.session("dying").will() != null);
      store.hold();
      try (RawClient again = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertFalse(again.connect("dying", true, 0, RawClient.sessionExpiry(HOUR))
            .sessionPresent());
        again.subscribe("mine/t", 1);
        await("the watcher's copy written, the will's removal waiting for it",
            () -> !store.calls("addMessage", "watcher").isEmpty() && store.waiting() > 0);
        assertEquals(1, store.dueWills().size(), "kept until the copy is durable");
        store.makeDurable();
        assertEquals(List.of(), store.dueWills(), "removed once the copy is durable");
        store.makeDurable();
        afterKill = store.afterKill();
      }
    }
    assertEquals(Set.of("mine/t"), afterKill.session("dying").subscriptions().keySet(),
        "the new session's record, untouched by the will's removal");
    try (BrokerFixture f = BrokerFixture.start("", afterKill)) {
      assertEquals(List.of("bye"), received(f, "watcher"), "once: not sent again at the start");
    }
  }

  @Test
  void theDefaultBrokerKeepsSessionsInMemoryOnly() {
    Broker b = new Broker(SettingsLoader.fromString("mqtt.listeners.tcp.enabled = false"));
    try {
      assertSame(SessionStore.MEMORY, b.sessions().store());
      assertFalse(b.sessions().isDurable());
    } finally {
      b.close();
    }
  }

  /**
   * Two stored members of {@code $share/g/s/t}, b offline and a connected (its window 1), and two
   * messages: m1 sent to a, m2 queued behind its window. Returns a's connection.
   */
  private static RawClient sharedMemberHoldingTwo(BrokerFixture f, RecordingSessionStore store) {
    storedSubscriber(f, store, "b", "$share/g/s/t", 1);
    RawClient a = RawClient.open(f, MqttVersion.MQTT_5);
    a.connect("a", true, 0, RawClient.sessionExpiry(HOUR));
    a.subscribe("$share/g/s/t", 1);
    try (RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
      pub.connect("pub");
      pub.publish("s/t", 1, false, bytes("m1"));
      pub.publish("s/t", 1, false, bytes("m2"));
      pub.expect(PubResponse.class);
      pub.expect(PubResponse.class);
    }
    assertEquals("m1", text(a.expect(Publish.class).payload()), "the connected member first");
    assertEquals(2, store.messages("a").size(), "m1 in flight, m2 queued behind the window");
    return a;
  }

  /**
   * A queued shared-subscription message a member lets go when its connection ends goes to the
   * other member, and leaves the first member's store in one unit with the second one's entry: a
   * kill -9 right after the batch with that entry finds it with the second member only (removed
   * before, a kill would lose it; removed in a later batch, a kill brought it back to the first
   * member as well). {@code PassedOnInOneUnitTest} shows the same on RocksDB.
   */
  @Test
  void aSharedMessageHandedToAnotherMemberLeavesTheFirstOnesStoreInTheUnitOfTheOthersEntry() {
    RecordingSessionStore store = new RecordingSessionStore();
    try (BrokerFixture f = BrokerFixture.start("mqtt.sessions.max-inflight = 1", store)) {
      RawClient a = sharedMemberHoldingTwo(f, store);
      store.keepAfterFirstMessageWrite();
      a.abort(); // its queued shared message goes to the other member

      await("b's entry written under a hold, released", () ->
          store.afterFirstMessageWrite() != null);
      assertEquals(2, store.beforeFirstMessageWrite().messages("a").size(),
          "m2 left a's store before b's entry was written: a kill between lost it");
      RecordingSessionStore killed = store.afterFirstMessageWrite();
      assertEquals(1, killed.messages("b").size());
      assertEquals(1, killed.messages("a").size(), "m2 left a's store in the unit of b's entry");
      assertEquals("m1", text(killed.messages("a").values().iterator().next().delivery()
          .message().payload()), "the one a was sent stays with a");
    }
  }

  /**
   * A member whose DISCONNECT turns its Session Expiry Interval to 0 ends with its connection: its
   * shared messages (sent and queued) go to the other member, and the session leaves the store
   * in one unit with the other member's entries. Before, it left the store with the DISCONNECT,
   * ahead of the hand-on: a kill -9 between the two store batches lost them.
   */
  @Test
  void aMemberWhoseExpiryADisconnectTurnsToZeroKeepsItsSharedMessagesUntilTheOtherHasThem() {
    RecordingSessionStore store = new RecordingSessionStore();
    try (BrokerFixture f = BrokerFixture.start("mqtt.sessions.max-inflight = 1", store)) {
      RawClient a = sharedMemberHoldingTwo(f, store);
      store.keepAfterFirstMessageWrite();
      a.disconnect(ReasonCode.NORMAL_DISCONNECTION, RawClient.sessionExpiry(0));

      await("b's entries written under a hold, released", () ->
          store.afterFirstMessageWrite() != null);
      RecordingSessionStore before = store.beforeFirstMessageWrite();
      assertNotNull(before.session("a"), "a left the store before b's entries were written");
      assertEquals(2, before.messages("a").size(), "a's entries went before b had them");
      RecordingSessionStore killed = store.afterFirstMessageWrite();
      assertEquals(2, killed.messages("b").size());
      assertNull(killed.session("a"), "a left the store in the unit of b's entries");
      assertTrue(killed.messages("a").isEmpty());
      await("a's session is over", () -> f.broker().sessions().get("a") == null);
    }
  }

  /**
   * A member of a shared group connects again with clean start while its old session's shared
   * messages lie partly on disk only (beyond queue-memory-messages): they go to the other member,
   * once each and in order, read off the event loop before the connection attaches; the CONNACK
   * says no session, and a SUBSCRIBE the client sends right behind its CONNECT is answered once
   * the connection is attached.
   */
  @Test
  void aCleanStartHandsTheOldSessionsSharedMessagesOnDiskToTheOtherMemberInOrder() {
    RecordingSessionStore store = new RecordingSessionStore();
    try (BrokerFixture f =
        BrokerFixture.start("mqtt.sessions.queue-memory-messages = 2", store)) {
      storedSubscriber(f, store, "a", "$share/g/s/t", 1);
      try (RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
        pub.connect("pub");
        for (int i = 1; i <= 5; i++) {
          pub.publish("s/t", 1, false, bytes("m" + i));
        }
        for (int i = 1; i <= 5; i++) {
          pub.expect(PubResponse.class);
        }
      }
      assertEquals(5, store.messages("a").size(), "queued for a: 2 on the heap, 3 on disk only");
      try (RawClient b = RawClient.open(f, MqttVersion.MQTT_5);
          RawClient a = RawClient.open(f, MqttVersion.MQTT_5)) {
        b.connect("b");
        b.subscribe("$share/g/s/t", 1);
        a.send(RawClient.connectPacket(MqttVersion.MQTT_5, "a", true, 0, null));
        a.send(new MqttPacket.Subscribe(7,
            List.of(new MqttPacket.Subscription("x", 1, false, false, 0)),
            MqttProperties.empty()));
        assertFalse(a.expect(MqttPacket.ConnAck.class).sessionPresent());
        assertEquals(7, a.expect(MqttPacket.SubAck.class).packetId());
        List<String> atB = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
          atB.add(text(b.expect(Publish.class).payload()));
        }
        assertEquals(List.of("m1", "m2", "m3", "m4", "m5"), atB);
        assertTrue(a.topicsUntilQuiet(QUIET).isEmpty(), "the old session's messages reached a");
      }
    }
  }

  private static void storedSubscriber(
      BrokerFixture f, RecordingSessionStore store, String id, String filter, int qos) {
    try (RawClient sub = RawClient.open(f, MqttVersion.MQTT_5)) {
      sub.connect(id, true, 0, RawClient.sessionExpiry(HOUR));
      sub.subscribe(filter, qos);
      sub.disconnect(ReasonCode.NORMAL_DISCONNECTION, MqttProperties.empty());
    }
    await("the session stored offline",
        () -> store.session(id) != null && store.session(id).offlineSinceMillis() != 0);
  }

  private static StoredSession stored(
      String id, Map<String, SubscriptionOptions> subs, long expiry, Will will, long offline) {
    return new StoredSession(id, subs, expiry, will, offline, 0, Set.of());
  }

  /**
   * A stored publisher's PUBCOMP waits for the removal of its packet id to be durable: a client
   * done with the id may reuse it at once, and a restart that still had the id open would take the
   * new message for a resend and drop it.
   */
  @Test
  void aPubcompWaitsUntilTheIdsRemovalIsDurable() {
    RecordingSessionStore store = new RecordingSessionStore();
    try (BrokerFixture f = BrokerFixture.start("", store)) {
      storedSubscriber(f, store, "sub", "eo/t", 1);
      try (RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
        pub.connect("pub", true, 0, RawClient.sessionExpiry(HOUR));
        int id = pub.publish("eo/t", 2, false, bytes("first"));
        assertEquals(PacketType.PUBREC, pub.expect(PubResponse.class).type());
        store.hold();
        pub.send(RawClient.ack(PacketType.PUBREL, id));
        assertNull(pub.read(QUIET), "no PUBCOMP before the id's removal is durable");
        store.makeDurable();
        PubResponse comp = pub.expect(PubResponse.class);
        assertEquals(PacketType.PUBCOMP, comp.type());
        assertEquals(id, comp.packetId());
      }
    }
  }

  private static Will will(String topic, long delaySeconds) {
    Message m = new Message(topic, bytes("bye"), 1, false, MqttProperties.empty(), 0, "");
    return new Will(m, delaySeconds, 0);
  }
}

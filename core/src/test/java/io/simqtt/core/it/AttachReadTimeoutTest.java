package io.simqtt.core.it;

import static io.simqtt.core.it.SharedMembers.offlineMember;
import static io.simqtt.core.it.SharedMembers.publishNumbered;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.cluster.ClaimResult;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.session.RecordingCluster;
import io.simqtt.core.session.RecordingSessionStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * Durable mode: a CONNECT whose attach must wait for its session's read of the disk (a clean
 * start handing on the old state's shared deliveries, some only on disk) while the store fails
 * every read (tried again after growing pauses).
 */
class AttachReadTimeoutTest {
  private static final Duration QUIET = Duration.ofMillis(300);
  private static final String CONFIG = """
      mqtt.sys.interval = 0
      mqtt.sessions.queue-memory-messages = 2
      mqtt.limits.connect-timeout = 500ms
      """;

  /**
   * The client gets CONNACK 0x88 (MQTT 5) or 3 (3.1.1) once the wait passes {@code
   * mqtt.limits.connect-timeout}, and the connection closes, counted. Once the store reads again
   * a connect goes through, and the old state's shared deliveries reach the other member, once
   * each. Before, the client got no CONNACK for as long as the reads failed, and the broker did
   * not check its keep alive meanwhile.
   */
  @Test
  void aConnectWaitingForAFailingReadIsAnsweredServerUnavailableAndALaterOneWorks()
      throws Exception {
    RecordingSessionStore store = new RecordingSessionStore();
    try (BrokerFixture f = BrokerFixture.start(CONFIG, store)) {
      membersWithABacklogTheStoreFailsToRead(f, store);

      try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
        ConnAck ack = c.connect(connect(MqttVersion.MQTT_5, "c"));
        assertEquals(ReasonCode.SERVER_UNAVAILABLE, ack.reasonCode());
        assertFalse(ack.sessionPresent());
        assertTrue(c.closedWithin(Duration.ofSeconds(5)), "a refused connection is closed");
      }
      try (RawClient c = RawClient.open(f, MqttVersion.MQTT_3_1_1)) {
        ConnAck ack = c.connect(connect(MqttVersion.MQTT_3_1_1, "c"));
        // Decoded back from the 3.1.1 return code 3 (server unavailable).
        assertEquals(ReasonCode.SERVER_UNAVAILABLE, ack.reasonCode());
        assertTrue(c.closedWithin(Duration.ofSeconds(5)), "a refused connection is closed");
      }
      assertEquals(2, f.broker().metrics().attachesGivenUp());
      assertEquals(2, f.broker().metrics().connectsRefused(ReasonCode.SERVER_UNAVAILABLE));
      assertTrue(store.failedPageReads() > 0);

      store.failPageReads(0);
      try (RawClient c = connectOnceTheStoreReads(f)) {
        c.subscribe("u", 1);
      }
      try (RawClient d = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertTrue(d.connect(new Connect(MqttVersion.MQTT_5, false, 60, "d", null, null, null,
            RawClient.sessionExpiry(3600))).sessionPresent());
        assertEquals(List.of("1", "2", "3", "4"), d.payloadsUntilQuiet(QUIET),
            "c's shared deliveries, once each");
      }
    }
  }

  /**
   * A CONNECT answered 0x88 because its session's read did not end in time was refused: its
   * Session Expiry (0) is not applied, and the cluster was told at once that the connect was
   * refused (as at the session cap), so that a node that handed state over keeps it and a later
   * claim from another node is not undone. Its Clean Start ended the old state as it came (MQTT 5
   * 3.1.2.4), as a clean start's claim ends it on another node: the old state hands its shared
   * deliveries on a page at a time, which is what the attach waited for, so they go to d once the
   * store reads again, and c's next CONNECT finds no session. Before, the given-up attach still
   * ran once the read was in, the session ending with the refused CONNECT's expiry 0, and the
   * cluster heard the connect was attached.
   */
  @Test
  void aConnectGivenUpAppliesOnlyItsCleanStartAndTheClusterHearsItWasRefused() throws Exception {
    RecordingSessionStore store = new RecordingSessionStore();
    ClaimRecordingCluster cluster = new ClaimRecordingCluster();
    try (BrokerFixture f = BrokerFixture.start(CONFIG, store, cluster)) {
      membersWithABacklogTheStoreFailsToRead(f, store);

      try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
        ConnAck ack = c.connect(new Connect(MqttVersion.MQTT_5, true, 60, "c", null, null, null,
            RawClient.sessionExpiry(0)));
        assertEquals(ReasonCode.SERVER_UNAVAILABLE, ack.reasonCode());
        assertTrue(c.closedWithin(Duration.ofSeconds(5)), "a refused connection is closed");
      }
      assertEquals("refused", cluster.last("c"), "the cluster is told the connect was refused");

      store.failPageReads(0);
      try (RawClient d = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertTrue(d.connect(new Connect(MqttVersion.MQTT_5, false, 60, "d", null, null, null,
            RawClient.sessionExpiry(3600))).sessionPresent());
        List<String> got = new ArrayList<>();
        for (int n = 1; n <= 4; n++) {
          // The read is tried again after a pause that grew while it failed (5 s at most).
          Publish p = d.expect(Publish.class, Duration.ofSeconds(10));
          got.add(Clients.text(p));
          d.puback(p.packetId());
        }
        assertEquals(List.of("1", "2", "3", "4"), got, "c's shared deliveries, once each");
      }
      try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertFalse(c.connect(new Connect(MqttVersion.MQTT_5, false, 60, "c", null, null, null,
            RawClient.sessionExpiry(3600))).sessionPresent(), "the old state ended");
        assertEquals(List.of(), c.payloadsUntilQuiet(QUIET));
      }
      assertEquals("attached", cluster.last("c"));
      assertEquals(1, f.broker().metrics().attachesGivenUp());
    }
  }

  /**
   * A cluster in which no other node holds any client: as {@link RecordingCluster}, and it records
   * per client id how each claim was settled ("attached" or "refused").
   */
  private static final class ClaimRecordingCluster extends RecordingCluster {
    private final Map<String, String> settled = new ConcurrentHashMap<>();

    String last(String clientId) {
      return settled.get(clientId);
    }

    @Override
    public CompletableFuture<ClaimResult> claim(
        String clientId, boolean cleanStart, boolean keepsSession) {
      settled.remove(clientId);
      return CompletableFuture.completedFuture(new ClaimResult(ClaimResult.Outcome.NONE, null, 0,
          () -> settled.put(clientId, "attached"), () -> settled.put(clientId, "refused")));
    }
  }

  /**
   * Connects c with clean start as a client does after 0x88: again, until it is accepted (the
   * read is tried again after a pause that grew while it failed). Bounded.
   */
  private static RawClient connectOnceTheStoreReads(BrokerFixture f) {
    for (int attempt = 0; attempt < 20; attempt++) {
      RawClient c = RawClient.open(f, MqttVersion.MQTT_5);
      ConnAck ack = c.connect(connect(MqttVersion.MQTT_5, "c"));
      if (ack.reasonCode() == ReasonCode.SUCCESS) {
        assertFalse(ack.sessionPresent(), "clean start");
        return c;
      }
      assertEquals(ReasonCode.SERVER_UNAVAILABLE, ack.reasonCode());
      c.close();
    }
    throw new AssertionError("no connect went through once the store read again");
  }

  /**
   * c and d, stored sessions, members of $share/g/t, offline: c holds 1 to 4, published while it
   * was the only member (1 and 2 on its heap, 3 and 4 on disk); then every page read of {@code
   * store} fails.
   */
  private static void membersWithABacklogTheStoreFailsToRead(
      BrokerFixture f, RecordingSessionStore store) {
    offlineMember(f, "c");
    try (RawClient pub = RawClient.open(f, MqttVersion.MQTT_5)) {
      pub.connect("pub");
      publishNumbered(pub, 4);
    }
    offlineMember(f, "d");
    store.failPageReads(Integer.MAX_VALUE);
  }

  /** A CONNECT with clean start, keep alive 60 s; MQTT 5 with Session Expiry 1 h. */
  private static Connect connect(MqttVersion version, String clientId) {
    return new Connect(version, true, 60, clientId, null, null, null,
        version.isV5() ? RawClient.sessionExpiry(3600) : MqttProperties.empty());
  }
}

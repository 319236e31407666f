package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.simqtt.core.cluster.ClaimResult;
import io.simqtt.core.cluster.HybridClock;
import io.simqtt.core.cluster.LocalNode;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.message.Message;
import io.simqtt.core.session.Delivery;
import io.simqtt.core.session.SessionImport;
import io.simqtt.core.session.SessionSnapshot;
import io.simqtt.core.topic.SubscriptionOptions;
import io.simqtt.proto.peer.ClaimReply;
import io.simqtt.proto.peer.PeerFrame;
import io.simqtt.proto.peer.SessionState;
import io.simqtt.store.CoreProtos;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The claiming side of a state that arrives as a series of messages (ClaimReply.ends_message):
 * the first message is the head, the others pages of queued messages; a claimer takes a series
 * from its beginning only, and tells a holder at once when the claim it streams to is over.
 * Frames go to a recording link directory, time is manual, pages stay on the heap.
 */
class ClaimBookTransferTest {
  private static final SubscriptionOptions QOS1 = new SubscriptionOptions(1, false, false, 0, 0);
  /** The hybrid clock of the claim that created the session handed over. */
  private static final long LINEAGE = 1_700_000_000_000_123L;

  private final List<String> sent = new ArrayList<>();

  @Test
  void aStateArrivesAsAHeadAndPagesAndIsTheirMerge() throws Exception {
    ClaimBook book = book(List.of("a"));
    CompletableFuture<ClaimResult> result = book.claim("x", false, true);
    ByteString head = ProtoConvert.toProto(head()).toByteString();
    book.onReply("a", part(head.substring(0, 5), true, false)); // a head in two parts
    book.onReply("a", part(head.substring(5), true, true));
    book.onReply("a", part(page(3).toByteString(), true, true));
    book.onReply("a", part(page(4).toByteString(), false, true));

    SessionSnapshot state = result.get().state();
    assertEquals(Map.of("t", QOS1), state.subscriptions());
    assertEquals(Set.of(7), state.inboundQos2());
    assertEquals(List.of(1, 2, 3, 4), numbers(state.queued()));
    assertEquals(LINEAGE, state.lineage(), "the same session: a redirect for it names it");
  }

  @Test
  void aSecondHoldersSeriesIsNeverTakenUpInItsMiddle() throws Exception {
    ClaimBook book = book(List.of("a", "b"));
    CompletableFuture<ClaimResult> result = book.claim("x", false, true);
    // a and b both hold x (a healed partition); a's head starts first.
    ByteString head = ProtoConvert.toProto(head()).toByteString();
    book.onReply("a", part(head.substring(0, 3), true, false));
    // b's head and a page: ignored while a's series runs.
    book.onReply("b", part(head, true, true));
    book.onReply("b", part(page(6).toByteString(), true, true));
    book.onLinkDown("a"); // a's series breaks off
    book.onReply("b", part(page(7).toByteString(), true, true));
    book.onReply("b", part(page(8).toByteString(), false, true));

    assertTrue(result.isDone());
    assertNull(result.get().state(),
        "installed a state whose head is one of b's pages: " + result.get().state());
    assertTrue(sent.contains("b CLAIM_SETTLED"), "b was not told to keep its copy: " + sent);
  }

  @Test
  void aClaimThatEndsMidSeriesTellsItsHolderAtOnce() throws Exception {
    ClaimBook book = book(List.of("a"));
    book.claim("x", false, true);
    book.onReply("a", part(ProtoConvert.toProto(head()).toByteString(), true, true));
    book.onReply("a", part(page(7).toByteString(), true, true));
    book.claim("x", false, true); // the client connects again here: the first claim is over
    assertTrue(sent.contains("a CLAIM_SETTLED"),
        "a would stream its whole backlog to a claim that is over, its session frozen: " + sent);
  }

  /**
   * The broker gives a claim up mid-series (its connect timed out, the client got 0x88): the
   * holder is told at once, not at the claim's own timeout, and what arrives after is returned.
   */
  @Test
  void aClaimGivenUpMidSeriesTellsItsHolderAtOnce() throws Exception {
    ClaimBook book = book(List.of("a"));
    CompletableFuture<ClaimResult> result = book.claim("x", false, true);
    book.onReply("a", part(ProtoConvert.toProto(head()).toByteString(), true, true));
    book.onReply("a", part(page(7).toByteString(), true, true));
    assertTrue(result.cancel(true));
    assertEquals(List.of("a CLAIM", "a CLAIM_SETTLED"), sent,
        "a would go on streaming its backlog to a connect that was refused, frozen meanwhile");
    book.onReply("a", part(page(8).toByteString(), false, true));
    assertEquals(List.of("a CLAIM", "a CLAIM_SETTLED", "a CLAIM_SETTLED"), sent,
        "the last part of a claim given up is answered: not installed");
  }

  private ClaimBook book(List<String> up) {
    HybridClock clock = new HybridClock();
    LocalNode node = (LocalNode) Proxy.newProxyInstance(
        LocalNode.class.getClassLoader(), new Class<?>[] {LocalNode.class},
        (proxy, m, args) -> switch (m.getName()) {
          case "nodeId" -> "n3";
          case "clock" -> clock;
          case "importSession" -> SessionImport.onHeap((String) args[0]);
          default -> null;
        });
    LinkDirectory links = new LinkDirectory() {
      @Override
      public List<String> upPeers() {
        return up;
      }

      @Override
      public boolean hasSuspectPeers() {
        return false;
      }

      @Override
      public void send(String peerId, PeerFrame frame) {
        sent.add(peerId + " " + frame.getBodyCase());
      }

      @Override
      public void sendWhenUp(String peerId, PeerFrame frame) {
        sent.add(peerId + " " + frame.getBodyCase());
      }

      @Override
      public void sendToAll(PeerFrame frame) {}
    };
    return new ClaimBook(node, links, new FakeTime().scheduler(), Duration.ofSeconds(3),
        Duration.ofSeconds(10));
  }

  /** A part of claim 1's state. */
  private static ClaimReply part(ByteString bytes, boolean more, boolean endsMessage) {
    return ClaimReply.newBuilder().setClaimId(1)
        .setOutcome(ClaimReply.Outcome.HANDED_OVER).setStatePart(bytes)
        .setMore(more).setEndsMessage(endsMessage).build();
  }

  private static SessionSnapshot head() {
    return new SessionSnapshot(Map.of("t", QOS1), List.of(),
        List.of(delivery(1), delivery(2)), Set.of(7), 60, 3, List.of(), LINEAGE);
  }

  private static SessionState page(int n) {
    return SessionState.newBuilder().addQueued(CoreProtos.toProto(delivery(n))).build();
  }

  private static Delivery delivery(int n) {
    return new Delivery(
        new Message("t", new byte[] {(byte) n}, 1, false, MqttProperties.NONE, 0, "p"),
        1, false, new int[0]);
  }

  private static List<Integer> numbers(List<Delivery> ds) {
    return ds.stream().map(d -> (int) d.message().payload()[0]).toList();
  }
}

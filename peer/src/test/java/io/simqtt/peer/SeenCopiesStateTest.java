package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.message.Message;
import io.simqtt.core.session.Delivery;
import io.simqtt.core.session.MessageKey;
import io.simqtt.core.session.SessionSnapshot;
import io.simqtt.proto.peer.MessageId;
import io.simqtt.proto.peer.SessionState;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The copies a moving session's window has seen go to the next node in its state, each as its
 * message and the shared subscription it came for (or none), so that node drops second copies
 * per subscription too; a state from a node that predates the group reads as non-shared copies.
 * A retained message sent on SUBSCRIBE that the state holds stays marked so: the next node's
 * window lets it pass and does not record it.
 */
class SeenCopiesStateTest {
  @Test
  void theSeenCopiesCrossTheWireWithTheirSharedSubscription() throws Exception {
    List<MessageKey> seen = List.of(
        new MessageKey("n1", 7, null),
        new MessageKey("n1", 7, "$share/g/t"),
        new MessageKey("n1", 7, "$share/h/t"),
        new MessageKey("n2", 9, "$share/g/t"));
    SessionSnapshot state =
        new SessionSnapshot(Map.of(), List.of(), List.of(), Set.of(), 60, 0, seen, 0);

    byte[] wire = ProtoConvert.toProto(state).toByteArray();
    assertEquals(seen, ProtoConvert.fromProto(SessionState.parseFrom(wire)).seen());
  }

  @Test
  void aRetainedMessageSentOnSubscribeCrossesTheWireMarkedSo() throws Exception {
    Message m = new Message("t", new byte[] {1}, 1, true, MqttProperties.NONE, 0, "p", "n1", 7);
    SessionSnapshot state = new SessionSnapshot(Map.of(), List.of(),
        List.of(Delivery.retainedOnSubscribe(m, 1, new int[0]),
            new Delivery(m, 1, true, new int[0])),
        Set.of(), 60, 0, List.of(), 0);

    byte[] wire = ProtoConvert.toProto(state).toByteArray();
    assertEquals(List.of(true, false),
        ProtoConvert.fromProto(SessionState.parseFrom(wire)).queued().stream()
            .map(Delivery::onSubscribe).toList());
  }

  @Test
  void aSeenMessageFromANodeBeforeTheGroupIsANonSharedCopy() throws Exception {
    SessionState older = SessionState.newBuilder()
        .addSeen(MessageId.newBuilder().setOriginNode("n1").setStamp(7))
        .build();
    assertEquals(List.of(new MessageKey("n1", 7, null)),
        ProtoConvert.fromProto(SessionState.parseFrom(older.toByteArray())).seen());
  }
}

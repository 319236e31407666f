package io.simqtt.peer;

import io.simqtt.core.cluster.RetainedStamp;
import io.simqtt.core.message.Message;
import io.simqtt.core.session.Delivery;
import io.simqtt.core.session.InflightMessage;
import io.simqtt.core.session.MessageKey;
import io.simqtt.core.session.SessionSnapshot;
import io.simqtt.core.topic.SubscriptionOptions;
import io.simqtt.proto.peer.DeliveryState;
import io.simqtt.proto.peer.MessageId;
import io.simqtt.proto.peer.PeerFrame;
import io.simqtt.proto.peer.RetainedUpdate;
import io.simqtt.proto.peer.SessionState;
import io.simqtt.store.CoreProtos;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A session's state and retained updates to peer protocol messages and back; the values inside
 * them (messages, deliveries, subscriptions) convert in {@link CoreProtos}.
 */
final class ProtoConvert {
  private ProtoConvert() {}

  static SessionState toProto(SessionSnapshot s) {
    SessionState.Builder b =
        SessionState.newBuilder()
            .setExpiryInterval(s.expiryInterval())
            .setLastPacketId(s.lastPacketId())
            .setLineage(s.lineage())
            .addAllInboundQos2(s.inboundQos2());
    s.subscriptions().forEach((filter, o) -> b.addSubscriptions(CoreProtos.toProto(filter, o)));
    for (InflightMessage f : s.inflight()) {
      b.addInflight(
          CoreProtos.toProto(f.delivery()).setPacketId(f.packetId()).setReleased(f.released()));
    }
    for (Delivery d : s.queued()) {
      b.addQueued(CoreProtos.toProto(d));
    }
    for (MessageKey k : s.seen()) {
      MessageId.Builder id = MessageId.newBuilder().setOriginNode(k.origin()).setStamp(k.stamp());
      if (k.sharedGroup() != null) {
        id.setSharedGroup(k.sharedGroup());
      }
      b.addSeen(id);
    }
    return b.build();
  }

  static SessionSnapshot fromProto(SessionState s) {
    Map<String, SubscriptionOptions> subs = CoreProtos.fromProto(s.getSubscriptionsList());
    List<InflightMessage> inflight = new ArrayList<>();
    for (DeliveryState d : s.getInflightList()) {
      inflight.add(
          new InflightMessage(d.getPacketId(), CoreProtos.fromProto(d), d.getReleased()));
    }
    List<Delivery> queued = queued(s);
    Set<Integer> qos2 = new HashSet<>(s.getInboundQos2List());
    List<MessageKey> seen = new ArrayList<>(s.getSeenCount());
    for (MessageId id : s.getSeenList()) {
      seen.add(new MessageKey(id.getOriginNode(), id.getStamp(),
          id.getSharedGroup().isEmpty() ? null : id.getSharedGroup()));
    }
    return new SessionSnapshot(
        subs, inflight, queued, qos2, s.getExpiryInterval(), s.getLastPacketId(), seen,
        s.getLineage());
  }

  /** The queued messages of {@code s}, in order: all a later message of a state's series has. */
  static List<Delivery> queued(SessionState s) {
    List<Delivery> queued = new ArrayList<>(s.getQueuedCount());
    for (DeliveryState d : s.getQueuedList()) {
      queued.add(CoreProtos.fromProto(d));
    }
    return queued;
  }

  /** A retained set ({@code message} non-null) or clear for peers; a snapshot one at link-up. */
  static PeerFrame retainedFrame(
      String topic, Message message, RetainedStamp stamp, boolean snapshot) {
    RetainedUpdate.Builder b =
        RetainedUpdate.newBuilder()
            .setTopic(topic)
            .setHlc(stamp.hlc())
            .setOriginNode(stamp.nodeId())
            .setSnapshot(snapshot);
    if (message != null) {
      b.setMessage(CoreProtos.toProto(message));
    }
    return PeerFrame.newBuilder().setRetained(b).build();
  }
}

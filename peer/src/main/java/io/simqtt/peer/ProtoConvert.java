package io.simqtt.peer;

import com.google.protobuf.ByteString;
import io.simqtt.core.cluster.RetainedStamp;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.UserProperty;
import io.simqtt.core.message.Message;
import io.simqtt.core.session.Delivery;
import io.simqtt.core.session.InflightMessage;
import io.simqtt.core.session.MessageKey;
import io.simqtt.core.session.SessionSnapshot;
import io.simqtt.core.topic.SubscriptionOptions;
import io.simqtt.proto.peer.AppMessage;
import io.simqtt.proto.peer.DeliveryState;
import io.simqtt.proto.peer.MessageId;
import io.simqtt.proto.peer.MessageProperties;
import io.simqtt.proto.peer.PeerFrame;
import io.simqtt.proto.peer.RetainedUpdate;
import io.simqtt.proto.peer.SessionState;
import io.simqtt.proto.peer.SubscriptionState;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Core values to peer protocol messages and back. */
final class ProtoConvert {
  private ProtoConvert() {}

  static AppMessage toProto(Message m) {
    MqttProperties p = m.properties();
    MessageProperties.Builder props = MessageProperties.newBuilder();
    if (p.payloadFormatIndicator != null) {
      props.setPayloadFormatIndicator(p.payloadFormatIndicator);
    }
    if (p.contentType != null) {
      props.setContentType(p.contentType);
    }
    if (p.responseTopic != null) {
      props.setResponseTopic(p.responseTopic);
    }
    if (p.correlationData != null) {
      props.setCorrelationData(ByteString.copyFrom(p.correlationData));
    }
    for (UserProperty u : p.userProperties) {
      props.addUserProperties(
          io.simqtt.proto.peer.UserProperty.newBuilder()
              .setName(u.name())
              .setValue(u.value()));
    }
    return AppMessage.newBuilder()
        .setTopic(m.topic())
        .setPayload(ByteString.copyFrom(m.payload()))
        .setQos(m.qos())
        .setRetain(m.retain())
        .setProperties(props)
        .setExpiresAtMillis(m.expiresAtMillis())
        .setPublisherId(m.publisherId())
        .setOriginNode(m.origin())
        .setOriginStamp(m.stamp())
        .build();
  }

  static Message fromProto(AppMessage a) {
    MessageProperties props = a.getProperties();
    MqttProperties p = MqttProperties.empty();
    if (props.hasPayloadFormatIndicator()) {
      p.payloadFormatIndicator = props.getPayloadFormatIndicator();
    }
    if (props.hasContentType()) {
      p.contentType = props.getContentType();
    }
    if (props.hasResponseTopic()) {
      p.responseTopic = props.getResponseTopic();
    }
    if (props.hasCorrelationData()) {
      p.correlationData = props.getCorrelationData().toByteArray();
    }
    for (io.simqtt.proto.peer.UserProperty u : props.getUserPropertiesList()) {
      p.userProperties.add(new UserProperty(u.getName(), u.getValue()));
    }
    return new Message(
        a.getTopic(),
        a.getPayload().toByteArray(),
        a.getQos(),
        a.getRetain(),
        p,
        a.getExpiresAtMillis(),
        a.getPublisherId(),
        a.getOriginNode(),
        a.getOriginStamp());
  }

  static SessionState toProto(SessionSnapshot s) {
    SessionState.Builder b =
        SessionState.newBuilder()
            .setExpiryInterval(s.expiryInterval())
            .setLastPacketId(s.lastPacketId())
            .addAllInboundQos2(s.inboundQos2());
    s.subscriptions()
        .forEach(
            (filter, o) ->
                b.addSubscriptions(
                    SubscriptionState.newBuilder()
                        .setFilter(filter)
                        .setQos(o.qos())
                        .setNoLocal(o.noLocal())
                        .setRetainAsPublished(o.retainAsPublished())
                        .setRetainHandling(o.retainHandling())
                        .setSubscriptionId(o.subscriptionId())));
    for (InflightMessage f : s.inflight()) {
      b.addInflight(toProto(f.delivery()).setPacketId(f.packetId()).setReleased(f.released()));
    }
    for (Delivery d : s.queued()) {
      b.addQueued(toProto(d));
    }
    for (MessageKey k : s.seen()) {
      b.addSeen(MessageId.newBuilder().setOriginNode(k.origin()).setStamp(k.stamp()));
    }
    return b.build();
  }

  static DeliveryState.Builder toProto(Delivery d) {
    DeliveryState.Builder b =
        DeliveryState.newBuilder()
            .setMessage(toProto(d.message()))
            .setQos(d.qos())
            .setRetain(d.retain());
    for (int id : d.subscriptionIds()) {
      b.addSubscriptionIds(id);
    }
    if (d.sharedGroup() != null) {
      b.setSharedGroup(d.sharedGroup());
    }
    return b;
  }

  static SessionSnapshot fromProto(SessionState s) {
    Map<String, SubscriptionOptions> subs = new LinkedHashMap<>();
    for (SubscriptionState x : s.getSubscriptionsList()) {
      subs.put(
          x.getFilter(),
          new SubscriptionOptions(
              x.getQos(),
              x.getNoLocal(),
              x.getRetainAsPublished(),
              x.getRetainHandling(),
              x.getSubscriptionId()));
    }
    List<InflightMessage> inflight = new ArrayList<>();
    for (DeliveryState d : s.getInflightList()) {
      inflight.add(new InflightMessage(d.getPacketId(), fromProto(d), d.getReleased()));
    }
    List<Delivery> queued = new ArrayList<>();
    for (DeliveryState d : s.getQueuedList()) {
      queued.add(fromProto(d));
    }
    Set<Integer> qos2 = new HashSet<>(s.getInboundQos2List());
    List<MessageKey> seen = new ArrayList<>(s.getSeenCount());
    for (MessageId id : s.getSeenList()) {
      seen.add(new MessageKey(id.getOriginNode(), id.getStamp()));
    }
    return new SessionSnapshot(
        subs, inflight, queued, qos2, s.getExpiryInterval(), s.getLastPacketId(), seen);
  }

  static Delivery fromProto(DeliveryState d) {
    int[] ids = d.getSubscriptionIdsList().stream().mapToInt(Integer::intValue).toArray();
    String group = d.getSharedGroup().isEmpty() ? null : d.getSharedGroup();
    return new Delivery(fromProto(d.getMessage()), d.getQos(), d.getRetain(), ids, group);
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
      b.setMessage(toProto(message));
    }
    return PeerFrame.newBuilder().setRetained(b).build();
  }
}

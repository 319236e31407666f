package io.simqtt.store;

import com.google.protobuf.ByteString;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.UserProperty;
import io.simqtt.core.message.Message;
import io.simqtt.core.session.Delivery;
import io.simqtt.core.topic.SubscriptionOptions;
import io.simqtt.proto.peer.AppMessage;
import io.simqtt.proto.peer.DeliveryState;
import io.simqtt.proto.peer.MessageProperties;
import io.simqtt.proto.peer.SubscriptionState;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Core values to the protobuf messages that carry them, and back: one shape for a message, a
 * delivery and a subscription, whether it crosses a peer link or lies on disk.
 */
public final class CoreProtos {
  private CoreProtos() {}

  public static AppMessage toProto(Message m) {
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

  public static Message fromProto(AppMessage a) {
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

  public static DeliveryState.Builder toProto(Delivery d) {
    DeliveryState.Builder b =
        DeliveryState.newBuilder()
            .setMessage(toProto(d.message()))
            .setQos(d.qos())
            .setRetain(d.retain())
            .setOnSubscribe(d.onSubscribe());
    for (int id : d.subscriptionIds()) {
      b.addSubscriptionIds(id);
    }
    if (d.sharedGroup() != null) {
      b.setSharedGroup(d.sharedGroup());
    }
    return b;
  }

  public static Delivery fromProto(DeliveryState d) {
    int[] ids = d.getSubscriptionIdsList().stream().mapToInt(Integer::intValue).toArray();
    String group = d.getSharedGroup().isEmpty() ? null : d.getSharedGroup();
    return new Delivery(
        fromProto(d.getMessage()), d.getQos(), d.getRetain(), ids, group, d.getOnSubscribe());
  }

  public static SubscriptionState toProto(String filter, SubscriptionOptions o) {
    return SubscriptionState.newBuilder()
        .setFilter(filter)
        .setQos(o.qos())
        .setNoLocal(o.noLocal())
        .setRetainAsPublished(o.retainAsPublished())
        .setRetainHandling(o.retainHandling())
        .setSubscriptionId(o.subscriptionId())
        .build();
  }

  /** Subscriptions by filter, in the order kept. */
  public static Map<String, SubscriptionOptions> fromProto(List<SubscriptionState> kept) {
    Map<String, SubscriptionOptions> subscriptions = new LinkedHashMap<>();
    for (SubscriptionState s : kept) {
      subscriptions.put(s.getFilter(), fromProto(s));
    }
    return subscriptions;
  }

  public static SubscriptionOptions fromProto(SubscriptionState s) {
    return new SubscriptionOptions(
        s.getQos(),
        s.getNoLocal(),
        s.getRetainAsPublished(),
        s.getRetainHandling(),
        s.getSubscriptionId());
  }
}

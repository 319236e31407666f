package io.simqtt.peer.admin;

import com.google.protobuf.ByteString;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.UserProperty;
import io.simqtt.core.message.Message;
import io.simqtt.proto.admin.MessageProperties;
import io.simqtt.proto.admin.NodeMetrics;
import io.simqtt.proto.admin.PublishRequest;
import io.simqtt.proto.admin.RetainedMessage;
import java.util.List;

/** Core messages and metrics to admin protos and back. */
final class AdminMessages {
  private AdminMessages() {}

  static RetainedMessage toProto(Message m) {
    MqttProperties p = m.properties();
    MessageProperties.Builder props = MessageProperties.newBuilder();
    if (p.payloadFormatIndicator != null) {
      props.setPayloadFormatIndicator(p.payloadFormatIndicator);
    }
    if (m.hasExpiry()) {
      props.setMessageExpiryInterval(
          (int) m.remainingExpirySeconds(System.currentTimeMillis()));
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
      props.addUserProperties(io.simqtt.proto.admin.UserProperty.newBuilder()
          .setName(u.name()).setValue(u.value()));
    }
    return RetainedMessage.newBuilder()
        .setTopic(m.topic())
        .setPayload(ByteString.copyFrom(m.payload()))
        .setQos(m.qos())
        .setProperties(props)
        .build();
  }

  /** A message published by the broker itself: no publisher id, so No Local never applies. */
  static Message fromRequest(PublishRequest r) {
    MessageProperties in = r.getProperties();
    MqttProperties p = MqttProperties.empty();
    if (in.hasPayloadFormatIndicator()) {
      if (in.getPayloadFormatIndicator() > 1) {
        throw Replies.invalid("payload_format_indicator " + in.getPayloadFormatIndicator()
            + " is not 0 or 1");
      }
      p.payloadFormatIndicator = in.getPayloadFormatIndicator();
    }
    if (!in.getContentType().isEmpty()) {
      p.contentType = in.getContentType();
    }
    if (!in.getResponseTopic().isEmpty()) {
      p.responseTopic = in.getResponseTopic();
    }
    if (!in.getCorrelationData().isEmpty()) {
      p.correlationData = in.getCorrelationData().toByteArray();
    }
    for (io.simqtt.proto.admin.UserProperty u : in.getUserPropertiesList()) {
      p.userProperties.add(new UserProperty(u.getName(), u.getValue()));
    }
    long expiry = Integer.toUnsignedLong(in.getMessageExpiryInterval());
    long expiresAt = expiry == 0 ? 0 : System.currentTimeMillis() + expiry * 1000;
    return new Message(
        r.getTopic(), r.getPayload().toByteArray(), r.getQos(), r.getRetain(), p, expiresAt, "");
  }

  /** The cluster's figures: every counter summed over the nodes that answered. */
  static NodeMetrics sum(List<NodeMetrics> nodes) {
    NodeMetrics.Builder t = NodeMetrics.newBuilder().setNodeId("cluster");
    long[] received = new long[3];
    long[] sent = new long[3];
    for (NodeMetrics n : nodes) {
      t.setConnections(t.getConnections() + n.getConnections())
          .setConnectsAccepted(t.getConnectsAccepted() + n.getConnectsAccepted())
          .setBytesReceived(t.getBytesReceived() + n.getBytesReceived())
          .setBytesSent(t.getBytesSent() + n.getBytesSent())
          .setProtocolErrors(t.getProtocolErrors() + n.getProtocolErrors())
          .setSessions(t.getSessions() + n.getSessions())
          .setSubscriptions(t.getSubscriptions() + n.getSubscriptions())
          .setQueued(t.getQueued() + n.getQueued())
          .setInflight(t.getInflight() + n.getInflight())
          // Every node holds the whole retained set: the largest is the cluster's.
          .setRetainedMessages(Math.max(t.getRetainedMessages(), n.getRetainedMessages()));
      n.getConnectsRefusedMap().forEach((k, v) ->
          t.putConnectsRefused(k, t.getConnectsRefusedOrDefault(k, 0) + v));
      n.getDropsMap().forEach((k, v) -> t.putDrops(k, t.getDropsOrDefault(k, 0) + v));
      for (int q = 0; q < 3 && q < n.getMessagesReceivedCount(); q++) {
        received[q] += n.getMessagesReceived(q);
        sent[q] += n.getMessagesSent(q);
      }
    }
    for (int q = 0; q < 3; q++) {
      t.addMessagesReceived(received[q]).addMessagesSent(sent[q]);
    }
    return t.build();
  }
}

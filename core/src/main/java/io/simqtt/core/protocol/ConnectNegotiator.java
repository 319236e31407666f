package io.simqtt.core.protocol;

import io.simqtt.config.MqttSettings;
import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttPacket.Will;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.session.SessionExpiry;
import io.simqtt.core.topic.Topics;
import java.util.UUID;

/** Checks a CONNECT against the broker's rules and settles the terms of the connection. */
final class ConnectNegotiator {
  private static final int DEFAULT_RECEIVE_MAXIMUM = 65535;

  private final MqttSettings settings;

  ConnectNegotiator(MqttSettings settings) {
    this.settings = settings;
  }

  /** The outcome: terms, or a refusal with its CONNACK reason code. */
  record Outcome(ConnectTerms terms, int reasonCode, String reason) {
    static Outcome refuse(int reasonCode, String reason) {
      return new Outcome(null, reasonCode, reason);
    }

    boolean accepted() {
      return terms != null;
    }
  }

  Outcome negotiate(Connect c) {
    MqttProperties p = c.properties();
    boolean v5 = c.version().isV5();
    if (v5 && p.authenticationMethod != null) {
      return Outcome.refuse(
          ReasonCode.BAD_AUTHENTICATION_METHOD,
          "authentication method " + p.authenticationMethod + " is not supported");
    }
    String clientId = c.clientId();
    boolean assigned = false;
    if (clientId.isEmpty()) {
      if (c.version() == MqttVersion.MQTT_3_1 || (!v5 && !c.cleanStart())) {
        return Outcome.refuse(
            ReasonCode.CLIENT_IDENTIFIER_NOT_VALID,
            "an empty client id needs clean session");
      }
      clientId = "auto-" + UUID.randomUUID();
      assigned = true;
    }
    if (clientId.length() > settings.limits().maxClientIdLength()) {
      return Outcome.refuse(
          ReasonCode.CLIENT_IDENTIFIER_NOT_VALID,
          "client id longer than " + settings.limits().maxClientIdLength());
    }
    if (c.will() != null) {
      Outcome willRefusal = checkWill(c.will());
      if (willRefusal != null) {
        return willRefusal;
      }
    }
    int maxKeepAlive = settings.limits().maxKeepAlive();
    int keepAlive = c.keepAlive();
    boolean lowered = false;
    if (maxKeepAlive > 0 && (keepAlive == 0 || keepAlive > maxKeepAlive)) {
      if (!v5) {
        // 3.1.1 has no way to tell the client a lower keep alive; it would be cut off.
        return Outcome.refuse(
            ReasonCode.CLIENT_IDENTIFIER_NOT_VALID,
            "keep alive above the server maximum " + maxKeepAlive);
      }
      keepAlive = maxKeepAlive;
      lowered = true;
    }
    long requestedExpiry;
    if (v5) {
      requestedExpiry = p.sessionExpiryInterval == null ? 0 : p.sessionExpiryInterval;
    } else {
      // 3.1.1 persistent sessions never expire by the spec; the broker gives them a configured
      // expiry (mqtt.sessions.max-session-expiry-v3) so one-off client ids do not pile up.
      requestedExpiry =
          c.cleanStart()
              ? SessionExpiry.AT_DISCONNECT
              : settings.sessions().maxSessionExpiryV3();
    }
    long expiry = Math.min(requestedExpiry, settings.sessions().maxSessionExpiry());
    return new Outcome(
        new ConnectTerms(
            clientId,
            assigned,
            keepAlive,
            lowered,
            expiry,
            expiry != requestedExpiry,
            p.receiveMaximum == null ? DEFAULT_RECEIVE_MAXIMUM : p.receiveMaximum,
            p.topicAliasMaximum == null ? 0 : p.topicAliasMaximum,
            p.requestResponseInformation != null && p.requestResponseInformation == 1),
        ReasonCode.SUCCESS,
        null);
  }

  private Outcome checkWill(Will will) {
    if (!Topics.isValidTopicName(will.topic(), settings.limits().maxTopicLevels())) {
      return Outcome.refuse(ReasonCode.TOPIC_NAME_INVALID, "invalid will topic");
    }
    if (!MessageChecks.hasValidResponseTopic(will.properties())) {
      return Outcome.refuse(
          ReasonCode.PROTOCOL_ERROR, "will Response Topic is not a valid topic name");
    }
    if (!MessageChecks.hasValidPayloadFormat(will.properties(), will.payload())) {
      return Outcome.refuse(
          ReasonCode.PAYLOAD_FORMAT_INVALID, "will payload is not well-formed UTF-8");
    }
    if (will.qos() > settings.features().maxQos()) {
      return Outcome.refuse(ReasonCode.QOS_NOT_SUPPORTED, "will QoS above the server maximum");
    }
    if (will.retain() && !settings.features().retainAvailable()) {
      return Outcome.refuse(ReasonCode.RETAIN_NOT_SUPPORTED, "retained messages are off");
    }
    return null;
  }

  /** The CONNACK accepting a connection, with the server's MQTT 5 properties. */
  ConnAck accept(ConnectTerms t, boolean sessionPresent, boolean v5) {
    MqttProperties p = MqttProperties.empty();
    if (v5) {
      var limits = settings.limits();
      var features = settings.features();
      if (t.sessionExpiryCapped()) {
        p.sessionExpiryInterval = t.sessionExpiry();
      }
      if (limits.receiveMaximum() != DEFAULT_RECEIVE_MAXIMUM) {
        p.receiveMaximum = limits.receiveMaximum();
      }
      if (features.maxQos() < 2) {
        p.maximumQos = features.maxQos();
      }
      if (!features.retainAvailable()) {
        p.retainAvailable = 0;
      }
      p.maximumPacketSize = (long) limits.maxPacketSize();
      if (t.assignedClientId()) {
        p.assignedClientIdentifier = t.clientId();
      }
      if (limits.topicAliasMaximum() > 0) {
        p.topicAliasMaximum = limits.topicAliasMaximum();
      }
      if (!features.wildcardSubscriptions()) {
        p.wildcardSubscriptionAvailable = 0;
      }
      if (!features.subscriptionIdentifiers()) {
        p.subscriptionIdentifierAvailable = 0;
      }
      if (!features.sharedSubscriptions()) {
        p.sharedSubscriptionAvailable = 0;
      }
      if (t.keepAliveLowered()) {
        p.serverKeepAlive = t.keepAlive();
      }
      if (t.responseInformation() && !features.responseInformation().isEmpty()) {
        p.responseInformation = features.responseInformation();
      }
    }
    return new ConnAck(sessionPresent, ReasonCode.SUCCESS, p);
  }
}

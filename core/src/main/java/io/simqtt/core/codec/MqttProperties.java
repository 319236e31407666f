package io.simqtt.core.codec;

import java.util.ArrayList;
import java.util.List;

/**
 * The MQTT 5 properties of one packet. A null field (or empty list) means the property is absent.
 *
 * <p>Mutable so the decoder can fill it; a decoded instance is treated as read-only and {@link
 * #copy()} is taken before changing it for an outbound packet.
 */
public final class MqttProperties {
  public static final int PAYLOAD_FORMAT_INDICATOR = 0x01;
  public static final int MESSAGE_EXPIRY_INTERVAL = 0x02;
  public static final int CONTENT_TYPE = 0x03;
  public static final int RESPONSE_TOPIC = 0x08;
  public static final int CORRELATION_DATA = 0x09;
  public static final int SUBSCRIPTION_IDENTIFIER = 0x0B;
  public static final int SESSION_EXPIRY_INTERVAL = 0x11;
  public static final int ASSIGNED_CLIENT_IDENTIFIER = 0x12;
  public static final int SERVER_KEEP_ALIVE = 0x13;
  public static final int AUTHENTICATION_METHOD = 0x15;
  public static final int AUTHENTICATION_DATA = 0x16;
  public static final int REQUEST_PROBLEM_INFORMATION = 0x17;
  public static final int WILL_DELAY_INTERVAL = 0x18;
  public static final int REQUEST_RESPONSE_INFORMATION = 0x19;
  public static final int RESPONSE_INFORMATION = 0x1A;
  public static final int SERVER_REFERENCE = 0x1C;
  public static final int REASON_STRING = 0x1F;
  public static final int RECEIVE_MAXIMUM = 0x21;
  public static final int TOPIC_ALIAS_MAXIMUM = 0x22;
  public static final int TOPIC_ALIAS = 0x23;
  public static final int MAXIMUM_QOS = 0x24;
  public static final int RETAIN_AVAILABLE = 0x25;
  public static final int USER_PROPERTY = 0x26;
  public static final int MAXIMUM_PACKET_SIZE = 0x27;
  public static final int WILDCARD_SUBSCRIPTION_AVAILABLE = 0x28;
  public static final int SUBSCRIPTION_IDENTIFIER_AVAILABLE = 0x29;
  public static final int SHARED_SUBSCRIPTION_AVAILABLE = 0x2A;

  public Integer payloadFormatIndicator;
  /** Seconds, unsigned 32-bit. */
  public Long messageExpiryInterval;
  public String contentType;
  public String responseTopic;
  public byte[] correlationData;
  /** PUBLISH may carry several; SUBSCRIBE at most one. */
  public List<Integer> subscriptionIdentifiers;
  /** Seconds, unsigned 32-bit. */
  public Long sessionExpiryInterval;
  public String assignedClientIdentifier;
  public Integer serverKeepAlive;
  public String authenticationMethod;
  public byte[] authenticationData;
  public Integer requestProblemInformation;
  /** Seconds, unsigned 32-bit. */
  public Long willDelayInterval;
  public Integer requestResponseInformation;
  public String responseInformation;
  public String serverReference;
  public String reasonString;
  public Integer receiveMaximum;
  public Integer topicAliasMaximum;
  public Integer topicAlias;
  public Integer maximumQos;
  public Integer retainAvailable;
  public List<UserProperty> userProperties;
  public Long maximumPacketSize;
  public Integer wildcardSubscriptionAvailable;
  public Integer subscriptionIdentifierAvailable;
  public Integer sharedSubscriptionAvailable;

  /**
   * The properties of a packet that carries none, shared by all of them: most packets (acks,
   * most publishes) have none, and one object per packet was a third of the allocation per
   * message. Never change it; its lists refuse changes.
   */
  public static final MqttProperties NONE = new MqttProperties(List.of(), List.of());

  public MqttProperties() {
    this(new ArrayList<>(0), new ArrayList<>(0));
  }

  private MqttProperties(List<Integer> subscriptionIdentifiers, List<UserProperty> userProperties) {
    this.subscriptionIdentifiers = subscriptionIdentifiers;
    this.userProperties = userProperties;
  }

  /** A new, changeable, empty set of properties. */
  public static MqttProperties empty() {
    return new MqttProperties();
  }

  /** A deep enough copy to change any field without touching this one. */
  public MqttProperties copy() {
    MqttProperties c = new MqttProperties();
    c.payloadFormatIndicator = payloadFormatIndicator;
    c.messageExpiryInterval = messageExpiryInterval;
    c.contentType = contentType;
    c.responseTopic = responseTopic;
    c.correlationData = correlationData;
    c.subscriptionIdentifiers = new ArrayList<>(subscriptionIdentifiers);
    c.sessionExpiryInterval = sessionExpiryInterval;
    c.assignedClientIdentifier = assignedClientIdentifier;
    c.serverKeepAlive = serverKeepAlive;
    c.authenticationMethod = authenticationMethod;
    c.authenticationData = authenticationData;
    c.requestProblemInformation = requestProblemInformation;
    c.willDelayInterval = willDelayInterval;
    c.requestResponseInformation = requestResponseInformation;
    c.responseInformation = responseInformation;
    c.serverReference = serverReference;
    c.reasonString = reasonString;
    c.receiveMaximum = receiveMaximum;
    c.topicAliasMaximum = topicAliasMaximum;
    c.topicAlias = topicAlias;
    c.maximumQos = maximumQos;
    c.retainAvailable = retainAvailable;
    c.userProperties = new ArrayList<>(userProperties);
    c.maximumPacketSize = maximumPacketSize;
    c.wildcardSubscriptionAvailable = wildcardSubscriptionAvailable;
    c.subscriptionIdentifierAvailable = subscriptionIdentifierAvailable;
    c.sharedSubscriptionAvailable = sharedSubscriptionAvailable;
    return c;
  }
}

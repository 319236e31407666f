package io.simqtt.core.protocol;

import io.simqtt.core.codec.MqttEncoder;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttVersion;
import java.util.HashMap;
import java.util.Map;

/**
 * Replaces repeated topics of outbound PUBLISH packets by Topic Aliases (MQTT 5). The connection
 * applies it as it writes, on the channel's thread, so aliases are assigned in wire order. The
 * first {@code maximum} distinct topics get an alias for the life of the connection; later ones
 * go in full. Off by default: some clients announce a Topic Alias Maximum but fail on server-sent aliases.
 */
final class OutboundTopicAliases {
  private final int maximum;
  /** The client's Maximum Packet Size (Long.MAX_VALUE: none). */
  private final long maximumPacketSize;
  private final Map<String, Integer> aliases = new HashMap<>();

  OutboundTopicAliases(int maximum, long maximumPacketSize) {
    this.maximum = maximum;
    this.maximumPacketSize = maximumPacketSize;
  }

  /**
   * The packet to write in place of {@code p}, which fits the client's Maximum Packet Size: with
   * an alias (and maybe no topic), or as is when the alias would take it over that size (three
   * bytes more, more than a short topic saves) [MQTT-3.1.2-24].
   */
  Publish withAlias(Publish p) {
    Integer alias = aliases.get(p.topic());
    if (alias != null) {
      Publish aliased = withTopic(p, "", alias);
      return fits(aliased) ? aliased : p;
    }
    if (aliases.size() < maximum) {
      Publish aliased = withTopic(p, p.topic(), aliases.size() + 1);
      if (fits(aliased)) {
        aliases.put(p.topic(), aliased.properties().topicAlias);
        return aliased;
      }
    }
    return p;
  }

  private boolean fits(Publish p) {
    return maximumPacketSize == Long.MAX_VALUE
        || MqttEncoder.encodedSize(p, MqttVersion.MQTT_5) <= maximumPacketSize;
  }

  private static Publish withTopic(Publish p, String topic, int alias) {
    var props = p.properties().copy();
    props.topicAlias = alias;
    return new Publish(topic, p.qos(), p.retain(), p.dup(), p.packetId(), p.payload(), props);
  }
}

package io.simqtt.core.protocol;

import io.simqtt.core.codec.MqttPacket.Publish;
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
  private final Map<String, Integer> aliases = new HashMap<>();

  OutboundTopicAliases(int maximum) {
    this.maximum = maximum;
  }

  /** The packet to write in place of {@code p}: with an alias (and maybe no topic), or as is. */
  Publish withAlias(Publish p) {
    Integer alias = aliases.get(p.topic());
    if (alias != null) {
      return withTopic(p, "", alias);
    }
    if (aliases.size() < maximum) {
      alias = aliases.size() + 1;
      aliases.put(p.topic(), alias);
      return withTopic(p, p.topic(), alias);
    }
    return p;
  }

  private static Publish withTopic(Publish p, String topic, int alias) {
    var props = p.properties().copy();
    props.topicAlias = alias;
    return new Publish(topic, p.qos(), p.retain(), p.dup(), p.packetId(), p.payload(), props);
  }
}

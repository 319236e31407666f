package io.simqtt.core.protocol;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.simqtt.core.codec.MqttPacket.Publish;
import java.util.HashMap;
import java.util.Map;

/**
 * Replaces repeated topics of outbound PUBLISH packets by Topic Aliases (MQTT 5). It sits in the
 * pipeline so aliases are assigned in wire order on the channel's thread. The first {@code
 * maximum} distinct topics get an alias for the life of the connection; later ones go in full.
 * Off by default: some clients announce a Topic Alias Maximum but fail on server-sent aliases.
 */
final class OutboundTopicAliases extends ChannelOutboundHandlerAdapter {
  private final int maximum;
  private final Map<String, Integer> aliases = new HashMap<>();

  OutboundTopicAliases(int maximum) {
    this.maximum = maximum;
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof Publish p) {
      msg = withAlias(p);
    }
    ctx.write(msg, promise);
  }

  private Publish withAlias(Publish p) {
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

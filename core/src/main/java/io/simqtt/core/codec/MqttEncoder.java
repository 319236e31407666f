package io.simqtt.core.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/**
 * {@link MqttPacket}s to bytes for one channel. The version is per channel and set once CONNECT
 * is read; until then 3.1.1 framing is used (a CONNACK refusing an unknown version).
 */
public final class MqttEncoder extends MessageToByteEncoder<MqttPacket> {

  private volatile MqttVersion version = MqttVersion.MQTT_3_1_1;

  public void setVersion(MqttVersion version) {
    this.version = version;
  }

  public MqttVersion version() {
    return version;
  }

  /** Encodes one packet for {@code version} into a new buffer from {@code alloc}. */
  public static ByteBuf encode(ByteBufAllocator alloc, MqttPacket packet, MqttVersion version) {
    throw new UnsupportedOperationException("codec in progress");
  }

  /** The size of the whole encoded packet, fixed header included, without encoding it. */
  public static int encodedSize(MqttPacket packet, MqttVersion version) {
    throw new UnsupportedOperationException("codec in progress");
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, MqttPacket msg, ByteBuf out) {
    throw new UnsupportedOperationException("codec in progress");
  }
}

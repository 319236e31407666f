package io.simqtt.core.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Bytes to {@link MqttPacket}s as a pipeline handler, for clients (tests, the load tool): a
 * {@link PacketFramer} over Netty's cumulation. On bad input it emits one {@link DecodeFailure}
 * and discards the rest. The broker's connections frame bytes themselves, to keep one handler
 * per channel.
 */
public final class MqttDecoder extends ByteToMessageDecoder {
  private final PacketFramer framer;

  private MqttDecoder(PacketFramer framer) {
    this.framer = framer;
  }

  /** A server-side decoder: the first packet must be CONNECT, which sets the version. */
  public static MqttDecoder forServer(int maxPacketSizeBeforeConnect) {
    return new MqttDecoder(PacketFramer.forServer(maxPacketSizeBeforeConnect));
  }

  /** A client-side decoder (tests, load tool) for a version already chosen. */
  public static MqttDecoder forClient(MqttVersion version, int maxPacketSize) {
    return new MqttDecoder(PacketFramer.forClient(version, maxPacketSize));
  }

  /** See {@link PacketFramer#version}. */
  public MqttVersion version() {
    return framer.version();
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    Object packet = framer.next(in);
    if (packet != null) {
      out.add(packet);
    }
  }
}

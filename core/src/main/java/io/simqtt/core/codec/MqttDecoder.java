package io.simqtt.core.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Bytes to {@link MqttPacket}s. Remaining Length is checked against the current limit before the
 * body is buffered; on any violation a single {@link DecodeFailure} is emitted and all further
 * input is discarded.
 */
public final class MqttDecoder extends ByteToMessageDecoder {

  /** A server-side decoder: the first packet must be CONNECT, which sets the version. */
  public static MqttDecoder forServer(int maxPacketSizeBeforeConnect) {
    throw new UnsupportedOperationException("codec in progress");
  }

  /** A client-side decoder (tests, load tool) for a version already chosen. */
  public static MqttDecoder forClient(MqttVersion version, int maxPacketSize) {
    throw new UnsupportedOperationException("codec in progress");
  }

  /** The largest whole packet (fixed header included) accepted from now on. */
  public void setMaxPacketSize(int maxPacketSize) {
    throw new UnsupportedOperationException("codec in progress");
  }

  /** The version learned from CONNECT (or given to a client decoder); null before. */
  public MqttVersion version() {
    throw new UnsupportedOperationException("codec in progress");
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    throw new UnsupportedOperationException("codec in progress");
  }
}

package io.simqtt.core.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.ProtocolDetectionState;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.simqtt.core.protocol.ClientAddress;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First on a listener with proxy-protocol: closes a connection whose first bytes are not a PROXY
 * protocol header, and hands one that starts with a header (v1 or v2) to Netty's decoder. The
 * decoder alone would take any bytes for the start of a v1 line and wait for the rest.
 */
final class ProxyHeaderGate extends ByteToMessageDecoder {
  private static final Logger LOG = LoggerFactory.getLogger(ProxyHeaderGate.class);

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    ProtocolDetectionState state = HAProxyMessageDecoder.detectProtocol(in).state();
    if (state == ProtocolDetectionState.NEEDS_MORE_DATA) {
      return;
    }
    if (state == ProtocolDetectionState.INVALID) {
      LOG.debug("{}: no PROXY protocol header, closing", ClientAddress.text(ctx.channel()));
      in.skipBytes(in.readableBytes());
      ctx.close();
      return;
    }
    // What this decoder has buffered goes on to the new one as it leaves.
    ctx.pipeline().replace(this, null, new HAProxyMessageDecoder());
  }
}

package io.simqtt.core.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.simqtt.core.protocol.ClientAddress;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Takes the client's address from the PROXY protocol header (v1 or v2) that {@link
 * HAProxyMessageDecoder} read at the start of the connection, then leaves the pipeline. A LOCAL
 * header (the proxy's own health check) keeps the socket's address. A connection that does not
 * start with a valid header is closed ({@link ProxyHeaderGate}, or the decoder's error).
 */
final class ProxiedAddress extends ChannelInboundHandlerAdapter {

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HAProxyMessage header) {
      try {
        InetAddress source = header.command() == HAProxyCommand.PROXY
            && header.sourceAddress() != null
            ? NetUtil.createInetAddressFromIpAddressString(header.sourceAddress())
            : null;
        if (source != null) {
          ctx.channel().attr(ClientAddress.KEY)
              .set(new InetSocketAddress(source, header.sourcePort()));
        }
      } finally {
        header.release();
        ctx.pipeline().remove(this);
      }
    } else {
      ctx.fireChannelRead(msg);
    }
  }
}

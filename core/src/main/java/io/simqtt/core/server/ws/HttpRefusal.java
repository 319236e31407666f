package io.simqtt.core.server.ws;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.simqtt.core.protocol.ClientAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the HTTP requests the WebSocket handshake handler passes on: 400 for what does not
 * parse as HTTP, 404 for another path; then closes. Removed once the upgrade is done.
 */
@Sharable
public final class HttpRefusal extends ChannelInboundHandlerAdapter {
  public static final HttpRefusal INSTANCE = new HttpRefusal();

  private static final Logger LOG = LoggerFactory.getLogger(HttpRefusal.class);

  private HttpRefusal() {}

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof HttpObject http)) {
      ctx.fireChannelRead(msg);
      return;
    }
    HttpResponseStatus status = http.decoderResult().isFailure()
        ? HttpResponseStatus.BAD_REQUEST
        : HttpResponseStatus.NOT_FOUND;
    ReferenceCountUtil.release(msg);
    LOG.debug("{}: HTTP request answered {}", ClientAddress.text(ctx.channel()), status);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status);
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
    ctx.channel().config().setAutoRead(false);
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }
}

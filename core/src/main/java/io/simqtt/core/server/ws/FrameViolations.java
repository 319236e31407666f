package io.simqtt.core.server.ws;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;

/**
 * Sits right behind the WebSocket frame decoder and turns the frames it refuses (too large,
 * unmasked, a bad opcode) into a {@link Refused} event for {@link WebSocketFrames}, which sends
 * the Close frame and ends the connection without a reset. Left to the protocol handler, the
 * error would close the socket at once: with the rest of the refused frame still unread, the
 * kernel answers with a reset, and the client, often still writing that frame, may never read
 * the Close frame that says why. The decoder, once it refused a frame, drops all further input.
 */
@Sharable
public final class FrameViolations extends ChannelInboundHandlerAdapter {
  public static final FrameViolations INSTANCE = new FrameViolations();

  private FrameViolations() {}

  /** A frame the decoder refused, with the status code the Close frame carries. */
  record Refused(WebSocketCloseStatus status, String what) {}

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof CorruptedWebSocketFrameException refused) {
      ctx.fireUserEventTriggered(new Refused(refused.closeStatus(), refused.getMessage()));
    } else {
      ctx.fireExceptionCaught(cause);
    }
  }
}

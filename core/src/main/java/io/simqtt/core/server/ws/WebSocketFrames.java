package io.simqtt.core.server.ws;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler.HandshakeComplete;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.simqtt.core.protocol.ClientAddress;
import io.simqtt.core.protocol.TransportViolation;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Between the WebSocket codec and the MQTT connection: the payload of each binary frame (and of
 * its continuations) goes on as bytes, so an MQTT packet may span frames and a frame may hold
 * several packets, just as on TCP; each buffer the connection writes leaves as one binary frame.
 * A text frame is not MQTT (MQTT 5, 6.0.0-1): the connection is closed with 1003; a frame the
 * decoder refused (see {@link FrameViolations}) with the status the decoder names, 1009 for one
 * too large. One Close frame goes out at most, and nothing after it (RFC 6455, 5.5.1). With {@code
 * forwardedFor}, the upgrade request's X-Forwarded-For header names the client's address.
 */
public final class WebSocketFrames extends ChannelDuplexHandler {
  private static final Logger LOG = LoggerFactory.getLogger(WebSocketFrames.class);

  private final boolean forwardedFor;
  private boolean closeSent;

  public WebSocketFrames(boolean forwardedFor) {
    this.forwardedFor = forwardedFor;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof BinaryWebSocketFrame || msg instanceof ContinuationWebSocketFrame) {
      ctx.fireChannelRead(((WebSocketFrame) msg).content());
    } else if (msg instanceof WebSocketFrame frame) {
      // Close, ping and pong are the protocol handler's; anything else here is a text frame.
      frame.release();
      refuse(ctx, WebSocketCloseStatus.INVALID_MESSAGE_TYPE, "a WebSocket text frame");
    } else {
      ctx.fireChannelRead(msg);
    }
  }

  /**
   * Sends the Close frame with {@code status}, then lets the MQTT connection end the connection
   * as after its own last packet.
   */
  private void refuse(ChannelHandlerContext ctx, WebSocketCloseStatus status, String what) {
    if (closeSent) {
      return;
    }
    ctx.writeAndFlush(new CloseWebSocketFrame(status));
    ctx.fireUserEventTriggered(new TransportViolation(what));
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (closeSent) {
      ReferenceCountUtil.release(msg);
      promise.trySuccess();
      return;
    }
    if (msg instanceof CloseWebSocketFrame) {
      closeSent = true;
      ctx.write(msg, promise);
    } else {
      ctx.write(msg instanceof ByteBuf b ? new BinaryWebSocketFrame(b) : msg, promise);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof FrameViolations.Refused refused) {
      refuse(ctx, refused.status(), refused.what());
      return;
    }
    if (evt instanceof HandshakeComplete done) {
      ctx.pipeline().remove(HttpRefusal.class);
      if (forwardedFor) {
        InetSocketAddress client = firstForwarded(done.requestHeaders().get("X-Forwarded-For"));
        if (client != null) {
          ctx.channel().attr(ClientAddress.KEY).set(client);
        }
      }
    }
    ctx.fireUserEventTriggered(evt);
  }

  /** The first (the client's) entry of an X-Forwarded-For list, if it is an IP address. */
  static InetSocketAddress firstForwarded(String header) {
    if (header == null) {
      return null;
    }
    String first = header.split(",", 2)[0].trim();
    if (first.startsWith("[") && first.contains("]")) {
      first = first.substring(1, first.indexOf(']'));
    }
    // Only literal addresses: a name here would be resolved, blocking the event loop.
    InetAddress address = NetUtil.createInetAddressFromIpAddressString(first);
    return address == null ? null : new InetSocketAddress(address, 0);
  }
}

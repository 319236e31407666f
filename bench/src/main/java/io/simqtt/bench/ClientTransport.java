package io.simqtt.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.File;
import java.net.URI;
import javax.net.ssl.SSLException;

/**
 * How the load tool's connections reach the broker: plain TCP, TLS (--tls, trusting --ca or,
 * without it, any certificate: a benchmark measures cost, not trust), WebSocket (--ws PATH) or
 * both. With WebSocket the CONNECT waits for the upgrade.
 */
final class ClientTransport {
  private final SslContext tls;
  private final String wsPath;

  ClientTransport(boolean tls, String caFile, String wsPath) throws SSLException {
    SslContextBuilder b = SslContextBuilder.forClient();
    if (caFile == null) {
      b.trustManager(InsecureTrustManagerFactory.INSTANCE);
    } else {
      b.trustManager(new File(caFile));
    }
    this.tls = tls || caFile != null ? b.build() : null;
    this.wsPath = wsPath;
  }

  boolean webSocket() {
    return wsPath != null;
  }

  /** Adds the transport's handlers in front of the MQTT codec. */
  void addTo(ChannelPipeline p, String host, int port, Runnable onReady) {
    if (tls != null) {
      p.addLast(tls.newHandler(p.channel().alloc(), host, port));
    }
    if (wsPath != null) {
      URI uri = URI.create((tls == null ? "ws" : "wss") + "://" + host + ":" + port + wsPath);
      p.addLast(new HttpClientCodec(), new HttpObjectAggregator(8192),
          new WebSocketClientProtocolHandler(WebSocketClientHandshakerFactory.newHandshaker(
              uri, WebSocketVersion.V13, "mqtt", false, new DefaultHttpHeaders(), 268_435_460)),
          new Bytes(onReady));
    }
  }

  /** Binary frames in as bytes, bytes out as binary frames; CONNECT once upgraded. */
  private static final class Bytes extends ChannelDuplexHandler {
    private final Runnable onReady;

    Bytes(Runnable onReady) {
      this.onReady = onReady;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof BinaryWebSocketFrame || msg instanceof ContinuationWebSocketFrame) {
        ctx.fireChannelRead(((WebSocketFrame) msg).content());
      } else {
        ctx.fireChannelRead(msg);
      }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      ctx.write(msg instanceof ByteBuf b ? new BinaryWebSocketFrame(b) : msg, promise);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
        onReady.run();
      }
      ctx.fireUserEventTriggered(evt);
    }
  }
}

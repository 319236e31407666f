package io.simqtt.core.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.simqtt.config.LimitSettings;
import io.simqtt.config.MqttListenerSettings;
import io.simqtt.config.TlsSettings;
import io.simqtt.core.overload.ConnectionGate;
import io.simqtt.core.protocol.Listener;
import io.simqtt.core.protocol.LoopConnections;
import io.simqtt.core.protocol.MqttConnection;
import io.simqtt.core.server.tls.CertificateIdentity;
import io.simqtt.core.server.tls.HandshakeFailures;
import io.simqtt.core.server.tls.ServerTls;
import io.simqtt.core.server.ws.FrameViolations;
import io.simqtt.core.server.ws.HttpRefusal;
import io.simqtt.core.server.ws.WebSocketFrames;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * One bound MQTT listener: its settings, its server socket and the count of its connections.
 * Per-listener limits attach here.
 */
public final class MqttListener implements Listener {
  /** An MQTT fixed header: one byte and at most four of Remaining Length. */
  private static final int MAX_FIXED_HEADER = 5;
  /** Bounds of the HTTP upgrade request: its request line and its headers, in bytes. */
  private static final int MAX_HTTP_LINE = 4096;
  private static final int MAX_HTTP_HEADERS = 8192;

  private final MqttListenerSettings settings;
  private final TlsSettings tlsSettings;
  /** Null unless the listener speaks TLS; likewise the next. */
  private final ServerTls tls;
  private final HandshakeFailures handshakeFailures;
  /** Null unless the listener speaks WebSocket. */
  private final WebSocketServerProtocolConfig webSocket;
  /** What admits this listener's connections, and counts them. */
  private final ConnectionGate gate;
  private volatile Channel serverChannel;

  /**
   * Reads the TLS files when the listener needs them.
   *
   * @throws java.io.UncheckedIOException when they do not load
   */
  MqttListener(
      MqttListenerSettings settings,
      TlsSettings tlsSettings,
      LimitSettings limits,
      ConnectionGate gate) {
    this.gate = gate;
    this.settings = settings;
    this.tlsSettings = tlsSettings;
    this.tls = settings.type().tls() ? new ServerTls(settings, tlsSettings) : null;
    this.handshakeFailures = tls == null ? null : new HandshakeFailures(settings.name());
    this.webSocket = settings.type().webSocket() ? webSocketConfig(settings, limits) : null;
  }

  /**
   * The upgrade on the listener's path with subprotocol mqtt (3.1.1 and 5; mqttv3.1 for MQTT
   * 3.1 clients). A frame may carry the largest packet the node accepts and its fixed header;
   * a larger one is refused with 1009 before it is buffered. The upgrade must finish within
   * the connect timeout.
   */
  private static WebSocketServerProtocolConfig webSocketConfig(
      MqttListenerSettings settings, LimitSettings limits) {
    return WebSocketServerProtocolConfig.newBuilder()
        .websocketPath(settings.path())
        .subprotocols("mqtt,mqttv3.1")
        .checkStartsWith(false)
        .handshakeTimeoutMillis(limits.connectTimeout().toMillis())
        .allowExtensions(false)
        .dropPongFrames(true)
        .decoderConfig(WebSocketDecoderConfig.newBuilder()
            .maxFramePayloadLength(limits.maxPacketSize() + MAX_FIXED_HEADER)
            .expectMaskedFrames(true)
            .allowMaskMismatch(false)
            .closeOnProtocolViolation(false)
            .build())
        .build();
  }

  /** Builds a new connection's pipeline: the transport's handlers, then the MQTT connection. */
  void initChannel(Channel ch, LoopConnections loop) {
    ChannelPipeline p = ch.pipeline();
    if (settings.proxyProtocol()) {
      p.addLast(new ProxyHeaderGate(), new ProxiedAddress());
    }
    if (tls != null) {
      p.addLast(tls.newHandler(ch.alloc()));
      p.addLast(handshakeFailures);
    }
    if (webSocket != null) {
      // The frame decoder takes the HTTP codec's place, so FrameViolations follows it.
      p.addLast(new HttpServerCodec(MAX_HTTP_LINE, MAX_HTTP_HEADERS, MAX_HTTP_LINE),
          FrameViolations.INSTANCE,
          new HttpObjectAggregator(0),
          new WebSocketServerProtocolHandler(webSocket),
          HttpRefusal.INSTANCE,
          new WebSocketFrames(settings.forwardedFor()));
    }
    p.addLast(new MqttConnection(loop, this));
  }

  /** Serves newer TLS files to new connections if they changed; a no-op without TLS. */
  void reloadTlsIfChanged() {
    if (tls != null) {
      tls.reloadIfChanged();
    }
  }

  /**
   * Reads this listener's TLS files again, changed or not: null when they serve (or the listener
   * has no TLS), else what is wrong (the previous ones stay).
   */
  public String reloadTls() {
    return tls == null ? null : tls.reload();
  }

  void bound(Channel serverChannel) {
    this.serverChannel = serverChannel;
  }

  public MqttListenerSettings settings() {
    return settings;
  }

  @Override
  public String name() {
    return settings.name();
  }

  /** The bound address (the real port when 0 was configured); null before the bind. */
  public InetSocketAddress address() {
    Channel c = serverChannel;
    return c == null ? null : (InetSocketAddress) c.localAddress();
  }

  /** A URL clients can use, with the configured host and the bound port. */
  public String url() {
    InetSocketAddress a = address();
    return settings.url(settings.host(), a == null ? settings.port() : a.getPort());
  }

  /** Connections open on this listener now. */
  public long connections() {
    return gate.openConnections();
  }

  /** Connections this listener has accepted since the start. */
  public long connectionsAccepted() {
    return gate.admitted();
  }

  /** TLS handshakes that failed, by reason; empty for a listener without TLS. */
  public Map<HandshakeFailures.Reason, Long> handshakeFailures() {
    return handshakeFailures == null ? Map.of() : handshakeFailures.byReason();
  }

  /** Successful reloads of the TLS files; 0 without TLS. */
  public long tlsReloads() {
    return tls == null ? 0 : tls.reloads();
  }

  @Override
  public void endOutput(Channel channel) {
    if (webSocket != null && channel.pipeline().get(HttpRefusal.class) == null) {
      // Upgraded: a Close frame (1000, normal closure) before the transport's own end.
      channel.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE))
          .addListener(f -> endTransport(channel));
    } else {
      endTransport(channel);
    }
  }

  private void endTransport(Channel channel) {
    SslHandler ssl = tls == null ? null : channel.pipeline().get(SslHandler.class);
    if (ssl != null) {
      // close_notify first: a client that sees the connection end without it may report a
      // truncation attack instead of the server's DISCONNECT or CONNACK.
      ssl.closeOutbound().addListener(f -> shutdownOutput(channel));
    } else {
      shutdownOutput(channel);
    }
  }

  private static void shutdownOutput(Channel channel) {
    if (channel instanceof DuplexChannel duplex) {
      duplex.shutdownOutput().addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    } else {
      channel.close();
    }
  }

  @Override
  public String certificateIdentity(Channel channel) {
    return tls == null ? null : CertificateIdentity.of(channel, tlsSettings.identity());
  }

  @Override
  public String userName(Channel channel, String fromConnect) {
    if (tls != null && tlsSettings.identityAsUserName()) {
      String identity = certificateIdentity(channel);
      return identity != null ? identity : fromConnect;
    }
    return fromConnect;
  }

  void close() {
    Channel c = serverChannel;
    if (c != null) {
      c.close().awaitUninterruptibly();
    }
  }
}

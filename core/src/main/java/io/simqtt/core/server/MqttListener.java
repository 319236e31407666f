package io.simqtt.core.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslHandler;
import io.simqtt.config.MqttListenerSettings;
import io.simqtt.config.TlsSettings;
import io.simqtt.core.protocol.Listener;
import io.simqtt.core.protocol.LoopConnections;
import io.simqtt.core.protocol.MqttConnection;
import io.simqtt.core.server.tls.CertificateIdentity;
import io.simqtt.core.server.tls.HandshakeFailures;
import io.simqtt.core.server.tls.ServerTls;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * One bound MQTT listener: its settings, its server socket and the count of its connections.
 * Per-listener limits attach here.
 */
public final class MqttListener implements Listener {
  private final MqttListenerSettings settings;
  private final TlsSettings tlsSettings;
  /** Null unless the listener speaks TLS; likewise the next. */
  private final ServerTls tls;
  private final HandshakeFailures handshakeFailures;
  private final LongAdder opened = new LongAdder();
  private final LongAdder closed = new LongAdder();
  private volatile Channel serverChannel;

  /**
   * Reads the TLS files when the listener needs them.
   *
   * @throws java.io.UncheckedIOException when they do not load
   */
  MqttListener(MqttListenerSettings settings, TlsSettings tlsSettings) {
    this.settings = settings;
    this.tlsSettings = tlsSettings;
    this.tls = settings.type().tls() ? new ServerTls(settings, tlsSettings) : null;
    this.handshakeFailures = tls == null ? null : new HandshakeFailures(settings.name());
  }

  /** Builds a new connection's pipeline: the transport's handlers, then the MQTT connection. */
  void initChannel(Channel ch, LoopConnections loop) {
    ChannelPipeline p = ch.pipeline();
    if (tls != null) {
      p.addLast(tls.newHandler(ch.alloc()));
      p.addLast(handshakeFailures);
    }
    p.addLast(new MqttConnection(loop, this));
  }

  /** Serves newer TLS files to new connections if they changed; a no-op without TLS. */
  void reloadTlsIfChanged() {
    if (tls != null) {
      tls.reloadIfChanged();
    }
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
    return opened.sum() - closed.sum();
  }

  /** Connections this listener has accepted since the start. */
  public long connectionsAccepted() {
    return opened.sum();
  }

  @Override
  public void connectionOpened() {
    opened.increment();
  }

  @Override
  public void connectionClosed() {
    closed.increment();
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

package io.simqtt.core.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;
import io.simqtt.config.MqttListenerSettings;
import io.simqtt.core.protocol.Listener;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.LongAdder;

/**
 * One bound MQTT listener: its settings, its server socket and the count of its connections.
 * Per-listener limits attach here.
 */
public final class MqttListener implements Listener {
  private final MqttListenerSettings settings;
  private final LongAdder opened = new LongAdder();
  private final LongAdder closed = new LongAdder();
  private volatile Channel serverChannel;

  MqttListener(MqttListenerSettings settings) {
    this.settings = settings;
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

  @Override
  public void endOutput(Channel channel) {
    if (channel instanceof DuplexChannel duplex) {
      duplex.shutdownOutput().addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    } else {
      channel.close();
    }
  }

  void close() {
    Channel c = serverChannel;
    if (c != null) {
      c.close().awaitUninterruptibly();
    }
  }
}

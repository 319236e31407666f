package io.simqtt.core.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.NettyRuntime;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.simqtt.config.LimitSettings;
import io.simqtt.config.MqttListenerSettings;
import io.simqtt.config.TlsSettings;
import io.simqtt.core.protocol.LoopConnections;
import io.simqtt.core.protocol.ProtocolContext;
import java.util.IdentityHashMap;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The MQTT listeners, the event loops they share and the connections on each loop. */
public final class MqttServer {
  private static final Logger LOG = LoggerFactory.getLogger(MqttServer.class);
  private final EventLoopGroup bossGroup;
  private final EventLoopGroup workerGroup;
  private final Map<EventLoop, LoopConnections> connections = new IdentityHashMap<>();
  private final Transport transport = Transport.best();
  private final List<MqttListener> listeners = new CopyOnWriteArrayList<>();
  private final TlsSettings tls;
  private final LimitSettings limits;
  private ScheduledFuture<?> tlsReloads;

  public MqttServer(ProtocolContext context) {
    this.tls = context.settings().tls();
    this.limits = context.settings().limits();
    this.bossGroup = new MultiThreadIoEventLoopGroup(1, transport.ioHandlerFactory());
    // One event loop per core: Netty's default of two per core only adds hand-offs here.
    this.workerGroup =
        new MultiThreadIoEventLoopGroup(
            NettyRuntime.availableProcessors(), transport.ioHandlerFactory());
    for (EventExecutor e : workerGroup) {
      EventLoop loop = (EventLoop) e;
      connections.put(loop, new LoopConnections(context, loop));
    }
  }

  /**
   * Binds a listener; returns it once it accepts connections.
   *
   * @throws UncheckedIOException when its port cannot be bound, naming the listener
   */
  public MqttListener bind(MqttListenerSettings settings) throws InterruptedException {
    MqttListener listener = new MqttListener(settings, tls, limits);
    ServerBootstrap b =
        new ServerBootstrap()
            .group(bossGroup, workerGroup)
            .channel(transport.serverChannel())
            .option(ChannelOption.SO_BACKLOG, 1024)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            // One allocator for all channels (each still has its own handle): Netty's default is
            // one instance per channel, 32 bytes on every idle connection.
            .childOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator())
            .childOption(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
            .childHandler(
                new ChannelInitializer<>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    listener.initChannel(ch, connections.get(ch.eventLoop()));
                  }
                });
    ChannelFuture bind = b.bind(settings.host(), settings.port()).await();
    if (!bind.isSuccess()) {
      Throwable cause = bind.cause();
      throw new UncheckedIOException("mqtt.listeners." + settings.name() + " cannot listen on "
          + settings.host() + ":" + settings.port() + ": " + cause.getMessage(),
          cause instanceof IOException io ? io : new IOException(cause));
    }
    listener.bound(bind.channel());
    listeners.add(listener);
    if (settings.type().tls() && tlsReloads == null && !tls.reloadInterval().isZero()) {
      long every = tls.reloadInterval().toMillis();
      tlsReloads = bossGroup.scheduleWithFixedDelay(
          this::reloadTls, every, every, TimeUnit.MILLISECONDS);
    }
    return listener;
  }

  private void reloadTls() {
    try {
      listeners.forEach(MqttListener::reloadTlsIfChanged);
    } catch (RuntimeException e) {
      // A scheduled task that throws is never run again.
      LOG.warn("checking the TLS files failed", e);
    }
  }

  /** The bound listeners, in the order they were bound. */
  public List<MqttListener> listeners() {
    return List.copyOf(listeners);
  }

  /** Stops accepting new connections. */
  public void closeListeners() {
    if (tlsReloads != null) {
      tlsReloads.cancel(false);
    }
    listeners.forEach(MqttListener::close);
  }

  /**
   * Closes every connection, with DISCONNECT {@code reasonCode} for MQTT 5 clients; waits up to
   * {@code graceMillis} for them to go, then drops the rest.
   */
  public void closeConnections(int reasonCode, String reason, long graceMillis) {
    connections.values().forEach(c -> c.closeAll(reasonCode, reason));
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMillis);
    while (openConnections() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    connections.values().forEach(LoopConnections::abortAll);
  }

  private int openConnections() {
    return connections.values().stream().mapToInt(LoopConnections::size).sum();
  }

  /** Releases the event loops; call after the connections are closed. */
  public void shutdown() {
    bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
  }
}

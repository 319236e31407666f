package io.simqtt.core.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.NettyRuntime;
import io.netty.util.concurrent.EventExecutor;
import io.simqtt.config.ListenerSettings;
import io.simqtt.core.protocol.LoopConnections;
import io.simqtt.core.protocol.MqttConnection;
import io.simqtt.core.protocol.ProtocolContext;
import java.net.InetSocketAddress;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The MQTT TCP listener, its event loops and the connections on each. */
public final class MqttServer {
  private final EventLoopGroup bossGroup;
  private final EventLoopGroup workerGroup;
  private final Map<EventLoop, LoopConnections> connections = new IdentityHashMap<>();
  private final Transport transport = Transport.best();
  private Channel serverChannel;

  public MqttServer(ProtocolContext context) {
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

  /** Binds the listener; returns the bound address. */
  public InetSocketAddress bind(ListenerSettings listener) throws InterruptedException {
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
                    ch.pipeline().addLast(new MqttConnection(connections.get(ch.eventLoop())));
                  }
                });
    serverChannel = b.bind(listener.host(), listener.port()).sync().channel();
    return (InetSocketAddress) serverChannel.localAddress();
  }

  /** Stops accepting new connections. */
  public void closeListener() {
    if (serverChannel != null) {
      serverChannel.close().awaitUninterruptibly();
    }
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

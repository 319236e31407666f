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
import io.simqtt.config.ConnectionLimits;
import io.simqtt.config.ListenerSettings;
import io.simqtt.core.overload.ConnectionGate;
import io.simqtt.core.overload.HeapGuard;
import io.simqtt.core.protocol.LoopConnections;
import io.simqtt.core.protocol.MqttConnection;
import io.simqtt.core.protocol.ProtocolContext;
import java.net.InetSocketAddress;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The MQTT TCP listener, its event loops and the connections on each, and what keeps them from
 * taking more than the node can hold: each listener's {@link ConnectionGate} and the node's
 * {@link HeapGuard}, which this server watches the JVM for while it runs.
 */
public final class MqttServer {
  private final ProtocolContext context;
  private final HeapGuard heapGuard;
  private final EventLoopGroup bossGroup;
  private final EventLoopGroup workerGroup;
  private final Map<EventLoop, LoopConnections> connections = new IdentityHashMap<>();
  private final Transport transport = Transport.best();
  private final List<ConnectionGate> gates = new CopyOnWriteArrayList<>();
  /** Stops watching the heap; null before the first bind. */
  private Runnable heapWatch;
  private Channel serverChannel;

  public MqttServer(ProtocolContext context, HeapGuard heapGuard) {
    this.context = context;
    this.heapGuard = heapGuard;
    this.bossGroup = new MultiThreadIoEventLoopGroup(1, transport.ioHandlerFactory());
    // One event loop per core: Netty's default of two per core only adds hand-offs here.
    this.workerGroup =
        new MultiThreadIoEventLoopGroup(
            NettyRuntime.availableProcessors(), transport.ioHandlerFactory());
    for (EventExecutor e : workerGroup) {
      EventLoop loop = (EventLoop) e;
      connections.put(loop, new LoopConnections(context, loop, heapGuard));
    }
    // Every connection of every loop stops or resumes reading as the guard turns.
    heapGuard.onChange(() -> connections.values().forEach(LoopConnections::heapGuardChanged));
  }

  /** Binds the TCP listener ({@code mqtt.tcp}); returns the bound address. */
  public InetSocketAddress bind(ListenerSettings listener) throws InterruptedException {
    return bind("tcp", listener, context.settings().tcpLimits());
  }

  /**
   * Binds a listener named {@code name} (in metrics) that admits what {@code limits} allow;
   * returns the bound address. The first bind starts watching the heap for the guard.
   */
  public synchronized InetSocketAddress bind(
      String name, ListenerSettings listener, ConnectionLimits limits)
      throws InterruptedException {
    if (heapWatch == null && heapGuard.settings().enabled()) {
      heapWatch = heapGuard.watchJvm();
    }
    ConnectionGate gate = new ConnectionGate(name, limits, heapGuard, System::nanoTime);
    ServerBootstrap b =
        new ServerBootstrap()
            .group(bossGroup, workerGroup)
            .handler(gate)
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
    gates.add(gate);
    return (InetSocketAddress) serverChannel.localAddress();
  }

  /** Each bound listener's admission figures. */
  public List<ConnectionGate> gates() {
    return gates;
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

  /** Releases the event loops and stops watching the heap; call after the connections are closed. */
  public synchronized void shutdown() {
    if (heapWatch != null) {
      heapWatch.run();
      heapWatch = null;
    }
    bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
  }
}

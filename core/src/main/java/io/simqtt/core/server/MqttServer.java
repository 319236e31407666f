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
import io.simqtt.core.overload.ConnectionGate;
import io.simqtt.core.overload.HeapGuard;
import io.simqtt.core.protocol.LoopConnections;
import io.simqtt.core.protocol.ProtocolContext;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MQTT listeners, the event loops they share and the connections on each loop, and what
 * keeps them from taking more than the node can hold: each listener's {@link ConnectionGate} and
 * the node's {@link HeapGuard}, which this server watches the JVM for while it runs.
 */
public final class MqttServer {
  private static final Logger LOG = LoggerFactory.getLogger(MqttServer.class);
  private final HeapGuard heapGuard;
  private final EventLoopGroup bossGroup;
  private final EventLoopGroup workerGroup;
  private final Map<EventLoop, LoopConnections> connections = new IdentityHashMap<>();
  private final Transport transport = Transport.best();
  private final List<MqttListener> listeners = new CopyOnWriteArrayList<>();
  private final List<ConnectionGate> gates = new CopyOnWriteArrayList<>();
  /** Stops watching the heap; null before the first bind. */
  private Runnable heapWatch;
  private final TlsSettings tls;
  private final LimitSettings limits;
  private ScheduledFuture<?> tlsReloads;

  public MqttServer(ProtocolContext context, HeapGuard heapGuard) {
    this.heapGuard = heapGuard;
    this.tls = context.settings().tls();
    this.limits = context.settings().limits();
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

  /**
   * Binds a listener, which admits what its settings allow; returns it once it accepts
   * connections. The first bind starts watching the heap for the guard.
   *
   * @throws UncheckedIOException when its port cannot be bound, naming the listener
   */
  public synchronized MqttListener bind(MqttListenerSettings settings)
      throws InterruptedException {
    if (heapWatch == null && heapGuard.settings().enabled()) {
      heapWatch = heapGuard.watchJvm();
    }
    ConnectionGate gate =
        new ConnectionGate(settings.name(), settings.admission(), heapGuard, System::nanoTime);
    MqttListener listener = new MqttListener(settings, tls, limits, gate);
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
    gates.add(gate);
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

  /** The event loops connections (and so sessions) run on. */
  public List<EventExecutor> loops() {
    List<EventExecutor> loops = new ArrayList<>();
    workerGroup.forEach(loops::add);
    return loops;
  }

  /** The bound listeners, in the order they were bound. */
  public List<MqttListener> listeners() {
    return List.copyOf(listeners);
  }

  /** Each bound listener's admission figures. */
  public List<ConnectionGate> gates() {
    return gates;
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

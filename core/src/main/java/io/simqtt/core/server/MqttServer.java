package io.simqtt.core.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.NettyRuntime;
import io.simqtt.config.ListenerSettings;
import io.simqtt.core.codec.MqttDecoder;
import io.simqtt.core.codec.MqttEncoder;
import io.simqtt.core.protocol.MqttConnection;
import io.simqtt.core.protocol.ProtocolContext;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** The MQTT TCP listener and its event loops. */
public final class MqttServer {
  /** Flushes coalesced per read batch, or per this many writes. */
  private static final int FLUSH_EVERY = 256;

  private final ProtocolContext context;
  private final EventLoopGroup bossGroup;
  private final EventLoopGroup workerGroup;
  private final Transport transport = Transport.best();
  private Channel serverChannel;

  public MqttServer(ProtocolContext context) {
    this.context = context;
    this.bossGroup = new MultiThreadIoEventLoopGroup(1, transport.ioHandlerFactory());
    // One event loop per core: Netty's default of two per core only adds hand-offs here.
    this.workerGroup =
        new MultiThreadIoEventLoopGroup(
            NettyRuntime.availableProcessors(), transport.ioHandlerFactory());
  }

  /** Binds the listener; returns the bound address. */
  public InetSocketAddress bind(ListenerSettings listener) throws InterruptedException {
    int maxConnectSize = context.settings().limits().maxConnectPacketSize();
    ServerBootstrap b =
        new ServerBootstrap()
            .group(bossGroup, workerGroup)
            .channel(transport.serverChannel())
            .option(ChannelOption.SO_BACKLOG, 1024)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
            .childHandler(
                new ChannelInitializer<>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    MqttDecoder decoder = MqttDecoder.forServer(maxConnectSize);
                    MqttEncoder encoder = new MqttEncoder();
                    ch.pipeline()
                        .addLast("flush", new FlushConsolidationHandler(FLUSH_EVERY, true))
                        .addLast("decoder", decoder)
                        .addLast("encoder", encoder)
                        .addLast("connection", new MqttConnection(context, decoder, encoder));
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

  /** Releases the event loops; call after the connections are closed. */
  public void shutdown() {
    bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
  }
}

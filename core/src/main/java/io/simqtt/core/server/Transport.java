package io.simqtt.core.server;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;

/** Native epoll where the platform has it (fewer copies, less garbage), NIO elsewhere. */
record Transport(IoHandlerFactory ioHandlerFactory, Class<? extends ServerChannel> serverChannel) {

  static Transport best() {
    if (Epoll.isAvailable()) {
      return new Transport(EpollIoHandler.newFactory(), EpollServerSocketChannel.class);
    }
    return new Transport(NioIoHandler.newFactory(), NioServerSocketChannel.class);
  }
}

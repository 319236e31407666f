package io.simqtt.core.protocol;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Where a client connects from: the socket's peer, unless a proxy in front named the client's
 * own address (PROXY protocol, X-Forwarded-For) and the listener trusts it; then that address,
 * set on the channel before CONNECT.
 */
public final class ClientAddress {

  /** Set by the pipeline when a trusted proxy names the client's address. */
  public static final AttributeKey<InetSocketAddress> KEY =
      AttributeKey.valueOf("simqtt.clientAddress");

  private ClientAddress() {}

  public static SocketAddress of(Channel channel) {
    InetSocketAddress told = channel.hasAttr(KEY) ? channel.attr(KEY).get() : null;
    return told != null ? told : channel.remoteAddress();
  }

  /** host:port as logs and the admin API show it. */
  public static String text(Channel channel) {
    SocketAddress a = of(channel);
    return a instanceof InetSocketAddress i
        ? i.getHostString() + ":" + i.getPort()
        : String.valueOf(a);
  }
}

package io.simqtt.core.protocol;

import io.netty.channel.Channel;

/**
 * What a connection needs from the listener that accepted it: the name authenticators see and
 * the transport's way to end the output after the server's last
 * packet. One per listener, shared by its connections.
 */
public interface Listener {

  /** The listener's name in the config (mqtt.listeners.NAME). */
  String name();

  /**
   * Ends the output once the server's last packet is written, the way the transport closes (a
   * TCP FIN; before it a TLS close_notify or a WebSocket Close frame), so that packet reaches
   * the client before the connection ends. Input is read on until the client closes.
   */
  void endOutput(Channel channel);

  /**
   * The identity taken from the client's TLS certificate, or null (no TLS, no certificate);
   * read once CONNECT arrives, after the handshake.
   */
  default String certificateIdentity(Channel channel) {
    return null;
  }

  /** The user name authenticators and ACLs see: the CONNECT's unless the listener says else. */
  default String userName(Channel channel, String fromConnect) {
    return fromConnect;
  }
}

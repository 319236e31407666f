package io.simqtt.core.session;

import io.netty.util.concurrent.EventExecutor;
import io.simqtt.core.auth.Permissions;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttVersion;

/** What a session needs from the network connection it is attached to. */
public interface ClientConnection {

  MqttVersion version();

  EventExecutor eventLoop();

  /** Writes a packet; flushes are coalesced by the pipeline. Safe from any thread. */
  void send(MqttPacket packet);

  /** False while the socket's outbound buffer is above its high water mark. */
  boolean isWritable();

  /** The client's Receive Maximum: how many QoS 1/2 publishes it takes unacknowledged. */
  int receiveMaximum();

  /** The client's Maximum Packet Size, or Long.MAX_VALUE when it set none. */
  long maximumPacketSize();

  /** Sends DISCONNECT with the reason code (MQTT 5 only) and closes; no will handling here. */
  void close(int reasonCode, String reason);

  /** The client's address as host:port, for operators ("" when unknown). */
  default String remoteAddress() {
    return "";
  }

  /** The keep alive in force, seconds (0 = none). */
  default int keepAlive() {
    return 0;
  }

  /** What the client may do, as its CONNECT was granted. */
  default Permissions permissions() {
    return Permissions.ALL;
  }
}

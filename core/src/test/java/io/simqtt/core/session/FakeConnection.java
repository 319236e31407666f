package io.simqtt.core.session;

import io.netty.util.concurrent.EventExecutor;
import io.simqtt.core.auth.Permissions;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttVersion;
import java.util.ArrayList;
import java.util.List;

/**
 * A connection for session tests without sockets: it records what is written and closes, and is
 * writable when the test says so.
 */
final class FakeConnection implements ClientConnection {
  final List<MqttPacket> sent = new ArrayList<>();
  final List<Integer> closes = new ArrayList<>();
  boolean writable = true;
  /** Writes after which the socket counts as full again. */
  int room = Integer.MAX_VALUE;
  /** The client's Maximum Packet Size. */
  long maximumPacketSize = Long.MAX_VALUE;
  /** What its CONNECT was granted; the session takes it as it attaches this connection. */
  Permissions permissions = Permissions.ALL;
  private final EventExecutor loop;

  FakeConnection(EventExecutor loop) {
    this.loop = loop;
  }

  @Override
  public MqttVersion version() {
    return MqttVersion.MQTT_5;
  }

  @Override
  public EventExecutor eventLoop() {
    return loop;
  }

  @Override
  public void send(MqttPacket packet) {
    sent.add(packet);
    if (--room <= 0) {
      writable = false;
    }
  }

  @Override
  public boolean isWritable() {
    return writable;
  }

  @Override
  public int receiveMaximum() {
    return 100;
  }

  @Override
  public long maximumPacketSize() {
    return maximumPacketSize;
  }

  @Override
  public Permissions permissions() {
    return permissions;
  }

  @Override
  public void close(int reasonCode, String reason) {
    closes.add(reasonCode);
  }

  List<Integer> publishedIds() {
    return sent.stream()
        .filter(p -> p instanceof Publish)
        .map(p -> ((Publish) p).packetId())
        .toList();
  }

  /** The PUBLISHes' RETAIN flags, in the order they were written. */
  List<Boolean> publishedRetains() {
    return sent.stream()
        .filter(p -> p instanceof Publish)
        .map(p -> ((Publish) p).retain())
        .toList();
  }

  /** The payloads' first bytes, in the order they were written. */
  List<Integer> publishedNumbers() {
    return sent.stream()
        .filter(p -> p instanceof Publish)
        .map(p -> (int) ((Publish) p).payload()[0])
        .toList();
  }
}

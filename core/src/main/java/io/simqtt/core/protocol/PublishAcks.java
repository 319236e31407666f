package io.simqtt.core.protocol;

import io.simqtt.core.codec.PacketType;
import java.util.ArrayDeque;

/**
 * A connection's acknowledgements of QoS 1/2 publishes in durable mode, sent in the order the
 * publishes came (clients expect PUBACKs in order, MQTT 5 4.6): one that waits for its message
 * to be durable holds back those behind it, even those that had nothing to wait for.
 *
 * <p>Bounded by the server's Receive Maximum: a client may not have more QoS 1/2 publishes
 * unacknowledged than that, and one that does (any MQTT 3.1.1 client may) is not read from until
 * the oldest is answered ({@link #isFull}), so TCP slows it down; nothing is dropped. Confined to
 * the tasks of the connection's session.
 */
final class PublishAcks {
  /** One acknowledgement: sent once it is ready and every one before it has been sent. */
  static final class Ack {
    final PacketType type;
    final int packetId;
    int reasonCode;
    boolean ready;

    Ack(PacketType type, int packetId, int reasonCode, boolean ready) {
      this.type = type;
      this.packetId = packetId;
      this.reasonCode = reasonCode;
      this.ready = ready;
    }
  }

  private final MqttConnection connection;
  private final int max;
  private final ArrayDeque<Ack> queue = new ArrayDeque<>();

  PublishAcks(MqttConnection connection, int max) {
    this.connection = connection;
    this.max = max;
  }

  /** An acknowledgement that waits ({@link #release} sends it); its reason code is set later. */
  Ack hold(PacketType type, int packetId) {
    Ack a = new Ack(type, packetId, 0, false);
    queue.addLast(a);
    return a;
  }

  /** An acknowledgement with nothing to wait for: sent now unless earlier ones still wait. */
  void send(PacketType type, int packetId, int reasonCode) {
    if (queue.isEmpty()) {
      connection.sendAck(type, packetId, reasonCode);
    } else {
      queue.addLast(new Ack(type, packetId, reasonCode, true));
    }
  }

  /** {@code a} may go: it and every ready one behind it are sent. */
  void release(Ack a) {
    a.ready = true;
    boolean wasFull = isFull();
    while (!queue.isEmpty() && queue.peekFirst().ready) {
      Ack next = queue.pollFirst();
      connection.sendAck(next.type, next.packetId, next.reasonCode);
    }
    if (wasFull && !isFull()) {
      connection.acksDrained();
    }
  }

  /** As many acknowledgements wait as the server's Receive Maximum allows publishes in flight. */
  boolean isFull() {
    return queue.size() >= max;
  }
}

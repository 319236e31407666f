package io.simqtt.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.simqtt.core.codec.MqttEncoder;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;

/**
 * One PUBLISH encoded once by the project codec; each send copies it and patches the packet id and
 * the first 16 payload bytes (send time in nanos, sequence, publisher index). Keeps the load side
 * cheap so it saturates the broker, not itself.
 *
 * <p>Payload layout (big-endian): bytes 0-7 {@code System.nanoTime()} at send, 8-11 sequence,
 * 12-15 publisher index, the rest zero.
 */
final class PublishTemplate {
  static final int HEADER_BYTES = 16;

  private final byte[] bytes;
  private final int packetIdOffset; // -1 for QoS 0
  private final int payloadOffset;

  PublishTemplate(String topic, int qos, int payloadSize, MqttVersion version) {
    MqttPacket.Publish p =
        new MqttPacket.Publish(
            topic, qos, false, false, qos > 0 ? 1 : 0, new byte[payloadSize], MqttProperties.empty());
    ByteBuf buf = MqttEncoder.encode(UnpooledByteBufAllocator.DEFAULT, p, version);
    try {
      bytes = new byte[buf.readableBytes()];
      buf.readBytes(bytes);
    } finally {
      buf.release();
    }
    payloadOffset = bytes.length - payloadSize;
    int headerLen = 1; // fixed header byte, then Remaining Length as a variable byte integer
    while ((bytes[headerLen] & 0x80) != 0) {
      headerLen++;
    }
    headerLen++;
    packetIdOffset = qos > 0 ? headerLen + 2 + topicUtf8Length(topic) : -1;
    if (qos > 0 && (bytes[packetIdOffset] != 0 || bytes[packetIdOffset + 1] != 1)) {
      throw new IllegalStateException("unexpected PUBLISH layout from the codec for " + topic);
    }
  }

  private static int topicUtf8Length(String topic) {
    return topic.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }

  ByteBuf encode(ByteBufAllocator alloc, int packetId, long nanos, int seq, int publisher) {
    ByteBuf b = alloc.ioBuffer(bytes.length);
    b.writeBytes(bytes);
    if (packetIdOffset >= 0) {
      b.setShort(packetIdOffset, packetId);
    }
    b.setLong(payloadOffset, nanos);
    b.setInt(payloadOffset + 8, seq);
    b.setInt(payloadOffset + 12, publisher);
    return b;
  }
}

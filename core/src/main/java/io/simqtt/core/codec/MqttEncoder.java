package io.simqtt.core.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/**
 * {@link MqttPacket}s to bytes: {@link #encode} for the broker's connections, which write buffers
 * themselves, and a pipeline handler for clients (tests, the load tool), whose version is set once
 * chosen; until then 3.1.1 framing is used.
 *
 * <p>CONNECT is written in the version its record names. Packets that cannot be represented
 * (AUTH before MQTT 5, strings over 65535 bytes, packets over 256 MB) are rejected with {@link
 * IllegalArgumentException}: they are the broker's bugs, not the peer's.
 */
public final class MqttEncoder extends MessageToByteEncoder<MqttPacket> {

  private volatile MqttVersion version = MqttVersion.MQTT_3_1_1;

  // allocateBuffer sizes the packet and encode runs right after it on the same thread; keeping
  // the result saves sizing every outbound packet twice.
  private MqttPacket sizedPacket;
  private MqttVersion sizedVersion;
  private int sizedRemainingLength;

  public void setVersion(MqttVersion version) {
    this.version = version;
  }

  public MqttVersion version() {
    return version;
  }

  /** Encodes one packet for {@code version} into a new buffer from {@code alloc}. */
  public static ByteBuf encode(ByteBufAllocator alloc, MqttPacket packet, MqttVersion version) {
    int remainingLength = PacketBodyEncoder.remainingLength(packet, version);
    ByteBuf buf = alloc.buffer(wholeSize(remainingLength));
    try {
      PacketBodyEncoder.write(buf, packet, version, remainingLength);
    } catch (RuntimeException e) {
      buf.release();
      throw e;
    }
    return buf;
  }

  /** The size of the whole encoded packet, fixed header included, without encoding it. */
  public static int encodedSize(MqttPacket packet, MqttVersion version) {
    return wholeSize(PacketBodyEncoder.remainingLength(packet, version));
  }

  /** The encoded length of a property section's content, without its own length prefix. */
  public static int propertiesSize(MqttProperties properties) {
    return PropertiesCodec.contentSize(properties);
  }

  private static int wholeSize(int remainingLength) {
    return 1 + VariableByteInteger.size(remainingLength) + remainingLength;
  }

  @Override
  protected ByteBuf allocateBuffer(
      ChannelHandlerContext ctx, MqttPacket msg, boolean preferDirect) {
    MqttVersion v = version;
    sizedRemainingLength = PacketBodyEncoder.remainingLength(msg, v);
    sizedPacket = msg;
    sizedVersion = v;
    int size = wholeSize(sizedRemainingLength);
    return preferDirect ? ctx.alloc().ioBuffer(size) : ctx.alloc().heapBuffer(size);
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, MqttPacket msg, ByteBuf out) {
    MqttVersion v = sizedPacket == msg ? sizedVersion : version;
    int remainingLength =
        sizedPacket == msg ? sizedRemainingLength : PacketBodyEncoder.remainingLength(msg, v);
    sizedPacket = null;
    PacketBodyEncoder.write(out, msg, v, remainingLength);
  }
}

package io.simqtt.core.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Bytes to {@link MqttPacket}s. Remaining Length is checked against the current limit before the
 * body is buffered; on any violation a single {@link DecodeFailure} is emitted and all further
 * input is discarded.
 */
public final class MqttDecoder extends ByteToMessageDecoder {

  private final boolean server;
  private final PacketBodyDecoder bodyDecoder = new PacketBodyDecoder();
  private MqttVersion version;
  private int maxPacketSize;
  private boolean failed;

  private MqttDecoder(boolean server, MqttVersion version, int maxPacketSize) {
    this.server = server;
    this.version = version;
    setMaxPacketSize(maxPacketSize);
  }

  /** A server-side decoder: the first packet must be CONNECT, which sets the version. */
  public static MqttDecoder forServer(int maxPacketSizeBeforeConnect) {
    return new MqttDecoder(true, null, maxPacketSizeBeforeConnect);
  }

  /** A client-side decoder (tests, load tool) for a version already chosen. */
  public static MqttDecoder forClient(MqttVersion version, int maxPacketSize) {
    if (version == null) {
      throw new IllegalArgumentException("version");
    }
    return new MqttDecoder(false, version, maxPacketSize);
  }

  /** The largest whole packet (fixed header included) accepted from now on. */
  public void setMaxPacketSize(int maxPacketSize) {
    if (maxPacketSize < 2) {
      throw new IllegalArgumentException("maxPacketSize " + maxPacketSize);
    }
    this.maxPacketSize = maxPacketSize;
  }

  /**
   * The version learned from CONNECT (or given to a client decoder); null before. A CONNECT that
   * fails after its protocol level was read still sets it, so its refusal can be in that version.
   */
  public MqttVersion version() {
    return version;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    try {
      MqttPacket packet = decodeOne(in);
      if (packet != null) {
        out.add(packet);
      }
    } catch (DecodeException e) {
      fail(in, out, e.toFailure());
    } catch (RuntimeException e) {
      // A bug here must not let a peer's bytes escape as an exception through the pipeline.
      fail(in, out, new DecodeFailure(ReasonCode.MALFORMED_PACKET, "undecodable packet: " + e));
    }
  }

  /** Decodes one packet, or returns null without consuming anything if it is not all here. */
  private MqttPacket decodeOne(ByteBuf in) {
    int start = in.readerIndex();
    int readable = in.readableBytes();
    if (readable == 0) {
      return null;
    }
    int firstByte = in.getUnsignedByte(start);
    if (server && version == null && (firstByte >>> 4) != PacketType.CONNECT.value()) {
      throw DecodeException.protocolError(
          "first packet must be CONNECT, got type " + (firstByte >>> 4));
    }
    PacketType type = FixedHeader.check(firstByte, version);
    long lengthAndSize =
        VariableByteInteger.peek(in, start + 1, start + readable, "Remaining Length");
    if (lengthAndSize == VariableByteInteger.INCOMPLETE) {
      return null;
    }
    int remainingLength = (int) lengthAndSize;
    int headerSize = 1 + (int) (lengthAndSize >>> 32);
    int packetSize = headerSize + remainingLength;
    if (packetSize > maxPacketSize) {
      throw new DecodeException(
          ReasonCode.PACKET_TOO_LARGE,
          type + " of " + packetSize + " bytes exceeds maximum packet size " + maxPacketSize);
    }
    if (readable < packetSize) {
      return null;
    }
    in.skipBytes(headerSize);
    int end = start + packetSize;
    MqttPacket packet = bodyDecoder.decode(in, end, type, firstByte & 0x0F, version);
    in.readerIndex(end);
    if (server && version == null) {
      version = ((MqttPacket.Connect) packet).version();
    }
    return packet;
  }

  private void fail(ByteBuf in, List<Object> out, DecodeFailure failure) {
    failed = true;
    if (server && version == null) {
      version = bodyDecoder.connectVersion();
    }
    in.skipBytes(in.readableBytes());
    out.add(failure);
  }
}

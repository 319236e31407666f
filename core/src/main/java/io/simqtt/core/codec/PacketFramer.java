package io.simqtt.core.codec;

import io.netty.buffer.ByteBuf;

/**
 * Cuts one connection's byte stream into {@link MqttPacket}s. Remaining Length is checked against
 * the current limit before the body is waited for; on any violation a single {@link
 * DecodeFailure} is returned and all further input is discarded.
 *
 * <p>It holds no buffer: the caller keeps the unread bytes (the server's connection handler, or
 * {@link MqttDecoder} for clients) and calls {@link #next} again when more arrive.
 */
public final class PacketFramer {
  private final boolean server;
  private MqttVersion version;
  private int maxPacketSize;
  private boolean failed;

  private PacketFramer(boolean server, MqttVersion version, int maxPacketSize) {
    this.server = server;
    this.version = version;
    setMaxPacketSize(maxPacketSize);
  }

  /** A server-side framer: the first packet must be CONNECT, which sets the version. */
  public static PacketFramer forServer(int maxPacketSizeBeforeConnect) {
    return new PacketFramer(true, null, maxPacketSizeBeforeConnect);
  }

  /** A client-side framer (tests, load tool) for a version already chosen. */
  public static PacketFramer forClient(MqttVersion version, int maxPacketSize) {
    if (version == null) {
      throw new IllegalArgumentException("version");
    }
    return new PacketFramer(false, version, maxPacketSize);
  }

  /** The largest whole packet (fixed header included) accepted from now on. */
  public void setMaxPacketSize(int maxPacketSize) {
    if (maxPacketSize < 2) {
      throw new IllegalArgumentException("maxPacketSize " + maxPacketSize);
    }
    this.maxPacketSize = maxPacketSize;
  }

  /**
   * The version learned from CONNECT (or given to a client framer); null before. A CONNECT that
   * fails after its protocol level was read still sets it, so its refusal can be in that version.
   */
  public MqttVersion version() {
    return version;
  }

  /**
   * The next packet in {@code in}: an {@link MqttPacket}, a {@link DecodeFailure} (once; every
   * byte after it is skipped), or null when no whole packet is buffered, in which case nothing
   * was consumed.
   */
  public Object next(ByteBuf in) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return null;
    }
    try {
      return decodeOne(in);
    } catch (DecodeException e) {
      return fail(in, e.toFailure());
    } catch (RuntimeException e) {
      // A bug here must not let a peer's bytes escape as an exception through the pipeline.
      return fail(in, new DecodeFailure(ReasonCode.MALFORMED_PACKET, "undecodable packet: " + e));
    }
  }

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
    PacketBodyDecoder body = PacketBodyDecoder.forThisThread();
    MqttPacket packet;
    try {
      packet = body.decode(in, end, type, firstByte & 0x0F, version);
    } catch (DecodeException e) {
      if (server && version == null) {
        version = body.connectVersion();
      }
      throw e;
    }
    in.readerIndex(end);
    if (server && version == null) {
      version = ((MqttPacket.Connect) packet).version();
    }
    return packet;
  }

  private DecodeFailure fail(ByteBuf in, DecodeFailure failure) {
    failed = true;
    in.skipBytes(in.readableBytes());
    return failure;
  }
}

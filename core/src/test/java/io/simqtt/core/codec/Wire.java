package io.simqtt.core.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Test plumbing: encoding to bytes and feeding bytes through a decoder in a channel. */
final class Wire {
  /** Leak detection off: the randomized test turns it to PARANOID, which slows every access. */
  private static final UnpooledByteBufAllocator UNTRACKED = new UnpooledByteBufAllocator(false, true);

  private Wire() {}

  static byte[] hex(String spaced) {
    return HexFormat.of().parseHex(spaced.replace(" ", ""));
  }

  static String hex(byte[] bytes) {
    return HexFormat.ofDelimiter(" ").withUpperCase().formatHex(bytes);
  }

  static byte[] encode(MqttPacket packet, MqttVersion version) {
    ByteBuf buf = MqttEncoder.encode(UNTRACKED, packet, version);
    try {
      byte[] bytes = ByteBufUtil.getBytes(buf);
      assertEquals(
          bytes.length, MqttEncoder.encodedSize(packet, version), "encodedSize of " + packet.type());
      assertEquals(bytes.length, buf.capacity(), "buffer not allocated at its exact size");
      return bytes;
    } finally {
      buf.release();
    }
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] all = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, all, at, p.length);
      at += p.length;
    }
    return all;
  }

  /**
   * Feeds {@code chunks} one write at a time, closes the channel and returns everything decoded.
   * Fails if any input buffer is still referenced afterwards.
   */
  static List<Object> feed(MqttDecoder decoder, boolean direct, byte[]... chunks) {
    EmbeddedChannel channel = new EmbeddedChannel(decoder);
    List<ByteBuf> inputs = new ArrayList<>();
    List<Object> out = new ArrayList<>();
    for (byte[] chunk : chunks) {
      ByteBuf buf =
          direct ? Unpooled.directBuffer(chunk.length).writeBytes(chunk) : Unpooled.copiedBuffer(chunk);
      inputs.add(buf);
      channel.writeInbound(buf);
      drain(channel, out);
    }
    channel.finish();
    drain(channel, out);
    for (ByteBuf in : inputs) {
      assertEquals(0, in.refCnt(), "input buffer leaked");
    }
    return out;
  }

  /**
   * Drives {@link MqttDecoder#decode} directly, looping the way {@code ByteToMessageDecoder} does,
   * without a channel: much cheaper for tests that decode thousands of streams. Fails if the
   * decoder changed the buffer's reference count or emitted without consuming.
   */
  static List<Object> feedDirect(MqttDecoder decoder, boolean direct, byte[]... chunks) {
    int total = 0;
    for (byte[] chunk : chunks) {
      total += chunk.length;
    }
    ByteBuf cumulation = direct ? UNTRACKED.directBuffer(total) : UNTRACKED.heapBuffer(total);
    List<Object> out = new ArrayList<>();
    try {
      for (byte[] chunk : chunks) {
        cumulation.writeBytes(chunk);
        decodeAvailable(decoder, cumulation, out);
        cumulation.discardReadBytes();
      }
      assertEquals(1, cumulation.refCnt(), "decoder changed the input's reference count");
    } finally {
      cumulation.release();
    }
    return out;
  }

  private static void decodeAvailable(MqttDecoder decoder, ByteBuf in, List<Object> out) {
    while (in.isReadable()) {
      int before = in.readableBytes();
      int emitted = out.size();
      decoder.decode(null, in, out);
      if (out.size() == emitted) {
        if (before == in.readableBytes()) {
          return;
        }
      } else if (before == in.readableBytes()) {
        throw new AssertionError("decode() emitted without reading anything");
      }
    }
  }

  /** Feeds {@code bytes} in pieces of {@code step} bytes. */
  static List<Object> feedInSteps(MqttDecoder decoder, byte[] bytes, int step) {
    List<byte[]> chunks = new ArrayList<>();
    for (int i = 0; i < bytes.length; i += step) {
      byte[] c = new byte[Math.min(step, bytes.length - i)];
      System.arraycopy(bytes, i, c, 0, c.length);
      chunks.add(c);
    }
    return feed(decoder, false, chunks.toArray(new byte[0][]));
  }

  private static void drain(EmbeddedChannel channel, List<Object> out) {
    Object o;
    while ((o = channel.readInbound()) != null) {
      out.add(o);
    }
  }
}

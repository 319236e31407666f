package io.simqtt.core.codec;

import io.netty.buffer.ByteBuf;

/** The MQTT Variable Byte Integer (spec 1.5.5): 1 to 4 bytes, 7 bits each, minimal encoding. */
final class VariableByteInteger {
  static final int MAX_VALUE = 268_435_455;

  /** Returned by {@link #peek} when more bytes are needed to finish the integer. */
  static final int INCOMPLETE = -1;

  private VariableByteInteger() {}

  static int size(int value) {
    if (value < 0x80) {
      return 1;
    }
    if (value < 0x4000) {
      return 2;
    }
    if (value < 0x20_0000) {
      return 3;
    }
    return 4;
  }

  static void write(ByteBuf buf, int value) {
    if (value < 0 || value > MAX_VALUE) {
      throw new IllegalArgumentException("variable byte integer out of range: " + value);
    }
    while (value >= 0x80) {
      buf.writeByte((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    buf.writeByte(value);
  }

  /**
   * Reads an integer at {@code index} without moving the reader index, looking at no byte at or
   * beyond {@code limit}. Returns the value in the low 32 bits and its encoded length in the high
   * 32 bits, or {@link #INCOMPLETE} if the limit cuts it short.
   *
   * @throws DecodeException for a fifth continuation byte or a non-minimal encoding
   */
  static long peek(ByteBuf buf, int index, int limit, String what) {
    int value = 0;
    for (int i = 0; i < 4; i++) {
      if (index + i >= limit) {
        return INCOMPLETE;
      }
      int b = buf.getByte(index + i);
      value |= (b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        // A zero final byte after continuation bytes encodes a value that fits in fewer bytes.
        if (b == 0 && i > 0) {
          throw DecodeException.malformed(what + " is not minimally encoded");
        }
        return ((long) (i + 1) << 32) | value;
      }
    }
    throw DecodeException.malformed(what + " longer than 4 bytes");
  }
}

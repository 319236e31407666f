package io.simqtt.core.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * MQTT UTF-8 strings (spec 1.5.4). Decoding is strict: ill-formed sequences, overlong forms and
 * encoded surrogates are rejected by the JDK decoder in REPORT mode, and U+0000 is rejected by the
 * byte scan (its only well-formed encoding is a zero byte). Most topics are ASCII, so that scan
 * doubles as the fast path that skips the charset decoder.
 *
 * <p>The scratch buffer and the strict decoder are per thread, not per connection: decoding is
 * synchronous on the channel's event loop, and per connection they cost ~300 bytes of every idle
 * connection.
 */
final class Utf8 {
  static final int MAX_LENGTH = 0xFFFF;

  private static final FastThreadLocal<Scratch> SCRATCH =
      new FastThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
          return new Scratch();
        }
      };

  private Utf8() {}

  /** What one thread decodes with. */
  private static final class Scratch {
    final CharsetDecoder strict =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    byte[] bytes = new byte[256];
  }

  /** Decodes {@code length} bytes at {@code index} without moving the reader index. */
  static String decode(ByteBuf buf, int index, int length, String what) {
    if (length == 0) {
      return "";
    }
    Scratch scratch = SCRATCH.get();
    byte[] bytes;
    int offset;
    if (buf.hasArray()) {
      bytes = buf.array();
      offset = buf.arrayOffset() + index;
    } else {
      if (scratch.bytes.length < length) {
        scratch.bytes =
            new byte[Math.max(length, Math.min(MAX_LENGTH, scratch.bytes.length * 2))];
      }
      buf.getBytes(index, scratch.bytes, 0, length);
      bytes = scratch.bytes;
      offset = 0;
    }
    int bits = 0;
    int zero = 1;
    for (int i = offset, end = offset + length; i < end; i++) {
      byte b = bytes[i];
      bits |= b;
      zero &= b == 0 ? 0 : 1;
    }
    if (zero == 0) {
      throw DecodeException.malformed(what + " contains U+0000");
    }
    if (bits >= 0) {
      return new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
    }
    try {
      return scratch.strict.decode(ByteBuffer.wrap(bytes, offset, length)).toString();
    } catch (CharacterCodingException e) {
      throw DecodeException.malformed(what + " is not well-formed UTF-8");
    }
  }

  /** The encoded length; Java strings with lone surrogates count as written by {@link #write}. */
  static int encodedLength(String s, String what) {
    int n = ByteBufUtil.utf8Bytes(s);
    if (n > MAX_LENGTH) {
      throw new IllegalArgumentException(what + " is " + n + " bytes, more than 65535");
    }
    return n;
  }

  /** Writes the two-byte length and the bytes; {@code length} is from {@link #encodedLength}. */
  static void write(ByteBuf buf, String s, int length) {
    buf.writeShort(length);
    ByteBufUtil.reserveAndWriteUtf8(buf, s, length);
  }
}

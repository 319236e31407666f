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
public final class Utf8 {
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

  /**
   * Whether {@code b} is well-formed UTF-8 as RFC 3629 defines it: no overlong forms, no encoded
   * surrogates, nothing above U+10FFFF, no sequence cut short. Unlike a string field, U+0000 is
   * allowed: this is for payloads marked as UTF-8 (Payload Format Indicator 1), which are
   * character data, not MQTT strings. Checked in place, nothing decoded or allocated.
   */
  public static boolean isWellFormed(byte[] b) {
    int n = b.length;
    int i = 0;
    while (i < n) {
      int c = b[i] & 0xFF;
      if (c < 0x80) {
        i++;
        continue;
      }
      // The lead byte gives the length and the range of the second byte (RFC 3629, section 4).
      int more;
      int secondMin = 0x80;
      int secondMax = 0xBF;
      if (c >= 0xC2 && c <= 0xDF) {
        more = 1;
      } else if (c == 0xE0) {
        more = 2;
        secondMin = 0xA0;
      } else if (c == 0xED) {
        more = 2;
        secondMax = 0x9F; // U+D800..U+DFFF are surrogates
      } else if (c >= 0xE1 && c <= 0xEF) {
        more = 2;
      } else if (c == 0xF0) {
        more = 3;
        secondMin = 0x90;
      } else if (c >= 0xF1 && c <= 0xF3) {
        more = 3;
      } else if (c == 0xF4) {
        more = 3;
        secondMax = 0x8F; // nothing above U+10FFFF
      } else {
        return false;
      }
      if (n - i <= more) {
        return false;
      }
      int second = b[i + 1] & 0xFF;
      if (second < secondMin || second > secondMax) {
        return false;
      }
      for (int k = 2; k <= more; k++) {
        int tail = b[i + k] & 0xFF;
        if (tail < 0x80 || tail > 0xBF) {
          return false;
        }
      }
      i += more + 1;
    }
    return true;
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

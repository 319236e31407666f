package io.simqtt.core.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Utf8#isWellFormed}, the check of payloads marked as UTF-8, at the edges of RFC 3629. */
class Utf8Test {

  @Test
  void edgesOfEachSequenceLength() {
    assertWellFormed(true, 0x00, 'a', 0x7F);
    assertWellFormed(true, 0xC2, 0x80); // U+0080, the first two-byte one
    assertWellFormed(false, 0xC1, 0xBF); // U+007F in two bytes: overlong
    assertWellFormed(true, 0xE0, 0xA0, 0x80); // U+0800
    assertWellFormed(false, 0xE0, 0x9F, 0xBF); // U+07FF in three bytes: overlong
    assertWellFormed(true, 0xED, 0x9F, 0xBF); // U+D7FF
    assertWellFormed(false, 0xED, 0xA0, 0x80); // U+D800, a surrogate
    assertWellFormed(false, 0xED, 0xBF, 0xBF); // U+DFFF, a surrogate
    assertWellFormed(true, 0xEE, 0x80, 0x80); // U+E000
    assertWellFormed(true, 0xEF, 0xBF, 0xBF); // U+FFFF, a non-character but well-formed
    assertWellFormed(true, 0xF0, 0x90, 0x80, 0x80); // U+10000
    assertWellFormed(false, 0xF0, 0x8F, 0xBF, 0xBF); // U+FFFF in four bytes: overlong
    assertWellFormed(true, 0xF4, 0x8F, 0xBF, 0xBF); // U+10FFFF, the last code point
    assertWellFormed(false, 0xF4, 0x90, 0x80, 0x80); // above U+10FFFF
    assertWellFormed(false, 0xF5, 0x80, 0x80, 0x80);
    assertWellFormed(false, 0x80); // a continuation byte alone
    assertWellFormed(false, 'a', 0xE2, 0x82); // cut short
    assertWellFormed(false, 0xE2, 0x28, 0xA1); // a continuation byte missing in the middle
    assertWellFormed(false, 0xFF);
  }

  /** Agrees with the JDK's strict decoder, which implements the same definition. */
  @Test
  void agreesWithTheStrictJdkDecoderOnRandomBytes() {
    Random rnd = new Random(42);
    for (int i = 0; i < 20_000; i++) {
      byte[] b = new byte[rnd.nextInt(8)];
      rnd.nextBytes(b);
      assertEquals(jdkAccepts(b), Utf8.isWellFormed(b), () -> HexFormat.of().formatHex(b));
    }
  }

  private static boolean jdkAccepts(byte[] b) {
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  private static void assertWellFormed(boolean expected, int... bytes) {
    byte[] b = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      b[i] = (byte) bytes[i];
    }
    assertEquals(expected, Utf8.isWellFormed(b), HexFormat.of().formatHex(b));
  }
}

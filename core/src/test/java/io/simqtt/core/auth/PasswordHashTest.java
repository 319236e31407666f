package io.simqtt.core.auth;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Mosquitto's hash formats, with lines mosquitto_passwd 2.0.11 wrote. */
class PasswordHashTest {
  /** mosquitto_passwd -b pw alice secret1 (default: sha512-pbkdf2, 101 iterations). */
  private static final String ALICE = "$7$101$KKQvBMzD1a+bmCCi$C36A/g512ARapUE+l9oS0v1B0aV/EaTTArnX7"
      + "LKAOr7GIcLXxAC7D5kkN3mbUZ9LCvIu3P1nkfcrH6kRhst+hw==";
  /** mosquitto_passwd -b pw bob 'p@ss:w rd'. */
  private static final String BOB = "$7$101$vYaWMicqOToQQIzt$ejWhbK0+l4IWWUrW4w6M+d/LUD23LEvIaM5zT"
      + "JE/uHZVwM6sVopkuyowlv+XPiK/PEf3kErH6Yo9sJ0KyAmjNw==";
  /** mosquitto_passwd -H sha512 -b pw carol c4rol (Mosquitto 1.x format). */
  private static final String CAROL = "$6$XkTymxEgocZJQKPJ$zR1BFFyPc8Gvr2SZ4Lrt9+GH0SHWl1OWBauUCdRK"
      + "iwrY+K1KQX2d/w/COKUMbSb8Cbg8T/GuhenoOoc0G5kC6g==";

  @Test
  void mosquittoHashesMatchTheirPasswordsOnly() {
    assertTrue(PasswordHash.parse(ALICE).matches("secret1".getBytes(UTF_8)));
    assertFalse(PasswordHash.parse(ALICE).matches("secret2".getBytes(UTF_8)));
    assertTrue(PasswordHash.parse(BOB).matches("p@ss:w rd".getBytes(UTF_8)));
    assertTrue(PasswordHash.parse(CAROL).matches("c4rol".getBytes(UTF_8)));
    assertFalse(PasswordHash.parse(CAROL).matches(new byte[0]));
  }

  @Test
  void createdHashesRoundTripThroughTheFileFormat() {
    PasswordHash h = PasswordHash.create("grüße".getBytes(UTF_8), 1000);
    String text = h.format();
    assertTrue(text.startsWith("$7$1000$"), text);
    assertTrue(PasswordHash.parse(text).matches("grüße".getBytes(UTF_8)));
    assertFalse(PasswordHash.parse(text).matches("grusse".getBytes(UTF_8)));
  }

  @Test
  void bytesThatAreNotUtf8NeverMatch() {
    PasswordHash h = PasswordHash.create("\uFFFD".getBytes(UTF_8), 10);
    // Decoded leniently, 0xFF would become U+FFFD and match.
    assertFalse(h.matches(new byte[] {(byte) 0xFF}));
    assertThrows(IllegalArgumentException.class,
        () -> PasswordHash.create(new byte[] {(byte) 0xC3}, 10));
  }

  @Test
  void brokenHashesSayWhatIsWrongWithoutEchoingThem() {
    assertEquals("not a hashed password (plain text? hash the file with bin/passwd.sh or"
            + " mosquitto_passwd -U)",
        assertThrows(IllegalArgumentException.class, () -> PasswordHash.parse("hunter2"))
            .getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> PasswordHash.parse("$5$abc$def")).getMessage().startsWith("unknown hash type $5$"));
    assertEquals("iterations are not a number", assertThrows(IllegalArgumentException.class,
        () -> PasswordHash.parse("$7$many$YWJj$ZGVm")).getMessage());
    assertEquals("salt or hash is not base64", assertThrows(IllegalArgumentException.class,
        () -> PasswordHash.parse("$7$101$!!!$ZGVm")).getMessage());
    assertEquals("a $7$ hash has the form $7$iterations$salt$hash",
        assertThrows(IllegalArgumentException.class, () -> PasswordHash.parse("$7$101$YWJj"))
            .getMessage());
  }
}

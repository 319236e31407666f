package io.simqtt.core.auth;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * One password hash in Mosquitto's format: {@code $7$iterations$salt$hash} (PBKDF2 with
 * HMAC-SHA512, what mosquitto_passwd writes since 2.0) or {@code $6$salt$hash} (SHA-512 of the
 * password followed by the salt, Mosquitto 1.x, read so old files keep working). Salt and hash
 * are base64 of the raw bytes.
 */
public final class PasswordHash {
  /** What mosquitto_passwd uses; a file may say more, and then that is what is checked. */
  public static final int DEFAULT_ITERATIONS = 101;
  private static final int SALT_BYTES = 12;
  private static final int HASH_BYTES = 64;
  private static final int MAX_ITERATIONS = 10_000_000;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final int iterations; // 0 for $6$
  private final byte[] salt;
  private final byte[] hash;

  private PasswordHash(int iterations, byte[] salt, byte[] hash) {
    this.iterations = iterations;
    this.salt = salt;
    this.hash = hash;
  }

  /** A new PBKDF2 hash of {@code password} with a fresh salt. */
  public static PasswordHash create(byte[] password, int iterations) {
    if (iterations < 1 || iterations > MAX_ITERATIONS) {
      throw new IllegalArgumentException("iterations " + iterations + " not in 1.." + MAX_ITERATIONS);
    }
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    char[] chars = utf8(password);
    if (chars == null) {
      throw new IllegalArgumentException("the password is not UTF-8 text");
    }
    return new PasswordHash(iterations, salt, pbkdf2(chars, salt, iterations, HASH_BYTES));
  }

  /**
   * Reads the part of a password file line after "user:".
   *
   * @throws IllegalArgumentException saying what is wrong, never echoing the hash
   */
  public static PasswordHash parse(String text) {
    String[] f = text.split("\\$", -1);
    if (f.length < 2 || !f[0].isEmpty()) {
      throw new IllegalArgumentException(
          "not a hashed password (plain text? hash the file with bin/passwd.sh or mosquitto_passwd -U)");
    }
    Base64.Decoder b64 = Base64.getDecoder();
    try {
      switch (f[1]) {
        case "7" -> {
          if (f.length != 5) {
            throw new IllegalArgumentException("a $7$ hash has the form $7$iterations$salt$hash");
          }
          int iterations = Integer.parseInt(f[2]);
          if (iterations < 1 || iterations > MAX_ITERATIONS) {
            throw new IllegalArgumentException("iterations not in 1.." + MAX_ITERATIONS);
          }
          return checked(iterations, b64.decode(f[3]), b64.decode(f[4]));
        }
        case "6" -> {
          if (f.length != 4) {
            throw new IllegalArgumentException("a $6$ hash has the form $6$salt$hash");
          }
          return checked(0, b64.decode(f[2]), b64.decode(f[3]));
        }
        default -> throw new IllegalArgumentException(
            "unknown hash type $" + f[1] + "$ (known: $7$ PBKDF2-SHA512, $6$ SHA512)");
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("iterations are not a number");
    } catch (IllegalArgumentException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("Illegal base64")) {
        throw new IllegalArgumentException("salt or hash is not base64");
      }
      throw e;
    }
  }

  private static PasswordHash checked(int iterations, byte[] salt, byte[] hash) {
    if (salt.length == 0 || hash.length == 0) {
      throw new IllegalArgumentException("empty salt or hash");
    }
    return new PasswordHash(iterations, salt, hash);
  }

  /** The PBKDF2 iteration count; 0 for a $6$ (SHA-512) hash. */
  int iterations() {
    return iterations;
  }

  /** Whether {@code password} hashes to this; in time independent of where they differ. */
  public boolean matches(byte[] password) {
    byte[] candidate = hashOf(password);
    return candidate != null && MessageDigest.isEqual(hash, candidate);
  }

  /** Null when the password cannot be hashed the way Mosquitto does (not UTF-8, for PBKDF2). */
  private byte[] hashOf(byte[] password) {
    if (iterations > 0) {
      char[] chars = utf8(password);
      return chars == null ? null : pbkdf2(chars, salt, iterations, hash.length);
    }
    try {
      MessageDigest sha512 = MessageDigest.getInstance("SHA-512");
      sha512.update(password);
      sha512.update(salt);
      return sha512.digest();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-512 is part of every JDK", e);
    }
  }

  /**
   * The JDK's PBKDF2 takes chars and hashes their UTF-8 bytes, where Mosquitto hashes the bytes
   * the client sent: the same only for UTF-8 text. Null for anything else, which then never
   * matches (a lenient decoding would map different bytes to the same replacement chars).
   */
  private static char[] utf8(byte[] password) {
    try {
      CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(password));
      char[] out = new char[chars.remaining()];
      chars.get(out);
      return out;
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private static byte[] pbkdf2(char[] chars, byte[] salt, int iterations, int bytes) {
    try {
      PBEKeySpec spec = new PBEKeySpec(chars, salt, iterations, bytes * 8);
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512").generateSecret(spec)
          .getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA512 is part of every JDK", e);
    } finally {
      Arrays.fill(chars, '\0');
    }
  }

  /** The text after "user:" in a password file. */
  public String format() {
    Base64.Encoder b64 = Base64.getEncoder();
    return iterations > 0
        ? "$7$" + iterations + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash)
        : "$6$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
  }
}

package io.simqtt.peer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.auth.PasswordHash;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/passwd.sh's program with the password on standard input, as a script would give it. */
class PasswdMainTest {
  @TempDir Path dir;
  private final StringWriter err = new StringWriter();

  private int passwd(String stdin, String... args) {
    return PasswdMain.run(args, new BufferedReader(new StringReader(stdin)), null,
        new PrintWriter(err, true));
  }

  private PasswordHash hashOf(Path file, String user) throws Exception {
    for (String line : Files.readAllLines(file)) {
      if (line.startsWith(user + ":")) {
        return PasswordHash.parse(line.substring(user.length() + 1));
      }
    }
    return null;
  }

  @Test
  void addsChangesAndDeletesUsers() throws Exception {
    Path file = dir.resolve("passwd");
    assertEquals(0, passwd("first pw\n", "-c", file.toString(), "ann"));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(0, passwd("bob pw\n", file.toString(), "bob"));
    assertTrue(hashOf(file, "ann").matches("first pw".getBytes(UTF_8)));
    assertTrue(Files.readString(file).startsWith("ann:$7$101$"), "mosquitto_passwd's default");

    assertEquals(0, passwd("second pw\n", "--iterations", "1000", file.toString(), "ann"));
    assertTrue(hashOf(file, "ann").matches("second pw".getBytes(UTF_8)));
    assertFalse(hashOf(file, "ann").matches("first pw".getBytes(UTF_8)));
    assertEquals(2, Files.readAllLines(file).size(), "changed in place, not added");

    assertEquals(0, passwd("", "-D", file.toString(), "ann"));
    assertEquals(List.of("bob"), Files.readAllLines(file).stream()
        .map(l -> l.substring(0, l.indexOf(':'))).toList());
    assertTrue(hashOf(file, "bob").matches("bob pw".getBytes(UTF_8)));
  }

  @Test
  void refusesWhatItCannotDoSafely() throws Exception {
    Path file = dir.resolve("passwd");
    assertEquals(1, passwd("pw\n", file.toString(), "ann"));
    assertTrue(err.toString().contains("does not exist (use -c to create it)"), err.toString());
    assertEquals(2, passwd("pw\n", "-c", file.toString(), "ann", "the-password"),
        "a password on the command line is refused");
    assertEquals(2, passwd("pw\n", "-c", file.toString(), "a:b"));
    assertEquals(1, passwd("\n", "-c", file.toString(), "ann"));
    assertTrue(err.toString().contains("an empty password is not allowed"), err.toString());
    assertFalse(Files.exists(file));

    Files.writeString(file, "ann:plain\n");
    assertEquals(1, passwd("pw\n", file.toString(), "bob"));
    assertTrue(err.toString().contains("line 1: user ann: not a hashed password"), err.toString());
    assertEquals("ann:plain\n", Files.readString(file), "a file it cannot read stays as it was");
  }
}

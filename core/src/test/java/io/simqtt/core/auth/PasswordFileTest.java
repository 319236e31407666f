package io.simqtt.core.auth;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.simqtt.core.codec.ReasonCode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PasswordFileTest {
  @TempDir Path dir;

  private Path write(String text) throws Exception {
    return Files.writeString(dir.resolve("passwords"), text);
  }

  private static ConnectAttempt as(String user, String password) {
    return new ConnectAttempt("c1", user, password == null ? null : password.getBytes(UTF_8),
        null, "tcp", null);
  }

  @Test
  void namedUsersNeedTheirPasswordAndUnknownOnesLookTheSame() throws Exception {
    PasswordFile file = PasswordFile.load(write("# users\n\nann:"
        + PasswordHash.create("pw-ann".getBytes(UTF_8), 101).format() + "\r\n"));
    assertEquals(1, file.size());
    assertEquals(AuthDecision.Kind.ALLOW, file.authenticate(as("ann", "pw-ann")).kind());
    AuthDecision wrong = file.authenticate(as("ann", "pw-bob"));
    AuthDecision unknown = file.authenticate(as("bob", "pw-bob"));
    AuthDecision none = file.authenticate(as("ann", null));
    for (AuthDecision d : new AuthDecision[] {wrong, unknown, none}) {
      assertEquals(AuthDecision.Kind.DENY, d.kind(), d.toString());
      assertEquals(ReasonCode.BAD_USER_NAME_OR_PASSWORD, d.reasonCode(), d.toString());
    }
    assertEquals(AuthDecision.Kind.NOT_MINE, file.authenticate(as(null, null)).kind());
  }

  @Test
  void aBrokenLineIsReportedWithFileAndLine() throws Exception {
    Path f = write("ann:" + PasswordHash.create(new byte[] {'x'}, 1).format() + "\nbob\n");
    assertEquals(f + " line 2: expected user:hash",
        assertThrows(AuthFileException.class, () -> PasswordFile.load(f)).getMessage());
    Path plain = write("ann:hunter2\n");
    assertEquals(plain + " line 1: user ann: not a hashed password (plain text? hash the file"
            + " with bin/passwd.sh or mosquitto_passwd -U)",
        assertThrows(AuthFileException.class, () -> PasswordFile.load(plain)).getMessage());
    String h = PasswordHash.create(new byte[] {'x'}, 1).format();
    Path twice = write("ann:" + h + "\nann:" + h + "\n");
    assertEquals(twice + " line 2: user ann is already on line 1",
        assertThrows(AuthFileException.class, () -> PasswordFile.load(twice)).getMessage());
  }
}

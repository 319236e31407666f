package io.simqtt.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mqtt.auth: the chain of authenticators and authorizers, plug-ins and reloading. */
class AuthSettingsTest {
  @TempDir Path dir;

  private static SettingsException fails(String hocon) {
    return assertThrows(SettingsException.class, () -> SettingsLoader.fromString(hocon));
  }

  private String files() throws Exception {
    Path passwords = Files.writeString(dir.resolve("passwd"), "");
    Path acl = Files.writeString(dir.resolve("acl"), "");
    return "mqtt.auth { password-file = \"" + passwords + "\", acl-file = \"" + acl + "\" }\n";
  }

  @Test
  void withoutAChainTheConfiguredFilesAreAskedPasswordsFirst() throws Exception {
    AuthSettings none = SettingsLoader.defaults().mqtt().auth();
    assertEquals(List.of(), none.effectiveChain());
    assertFalse(none.checksClients());
    assertTrue(none.reloadOnChange());
    assertEquals(Duration.ofMillis(500), none.reloadDelay());
    assertEquals(Duration.ofSeconds(10), none.recoveryWait());
    assertEquals(Duration.ofSeconds(10), none.retryWait());
    AuthSettings both = SettingsLoader.fromString(files()).mqtt().auth();
    assertEquals(List.of("password-file", "acl-file"), both.effectiveChain());
  }

  @Test
  void aChainOrdersBuiltInsAndPlugins() throws Exception {
    AuthSettings a = SettingsLoader.fromString(files() + "mqtt.auth { plugin-dir = \"" + dir
        + "\", chain = [acl-file, my-plugin, password-file] }").mqtt().auth();
    assertEquals(List.of("acl-file", "my-plugin", "password-file"), a.effectiveChain());
    assertEquals(dir, a.pluginDir());
    assertTrue(a.checksClients());
  }

  @Test
  void chainMistakesNameTheKey() throws Exception {
    SettingsException noFile = fails("mqtt.auth.chain = [password-file]");
    assertEquals("mqtt.auth.chain", noFile.key());
    assertTrue(noFile.getMessage().contains("mqtt.auth.password-file is empty"),
        noFile.getMessage());
    SettingsException noDir = fails("mqtt.auth.chain = [my-plugin]");
    assertEquals("mqtt.auth.chain", noDir.key());
    assertTrue(noDir.getMessage().contains("mqtt.auth.plugin-dir is empty"), noDir.getMessage());
    SettingsException leftOut = fails(files() + "mqtt.auth.chain = [password-file]");
    assertEquals("mqtt.auth.chain", leftOut.key());
    assertTrue(leftOut.getMessage().contains("leaves out acl-file"), leftOut.getMessage());
    assertEquals("mqtt.auth.chain",
        fails(files() + "mqtt.auth.chain = [password-file, acl-file, acl-file]").key());
    assertEquals("mqtt.auth.chain", fails("mqtt.auth.chain = acl-file").key());
    assertEquals("mqtt.auth.chain", fails("mqtt.auth.chain = [[a]]").key());
  }

  @Test
  void pluginDirMustBeAReadableDirectory() throws Exception {
    SettingsException missing = fails("mqtt.auth.plugin-dir = \"" + dir.resolve("none") + "\"");
    assertEquals("mqtt.auth.plugin-dir", missing.key());
    assertTrue(missing.getMessage().contains("no such directory"), missing.getMessage());
    Path file = Files.writeString(dir.resolve("file"), "");
    assertEquals("mqtt.auth.plugin-dir", fails("mqtt.auth.plugin-dir = \"" + file + "\"").key());
    assertEquals("mqtt.auth.reload-delay", fails("mqtt.auth.reload-delay = 1ms").key());
    assertEquals("mqtt.auth.recovery-wait", fails("mqtt.auth.recovery-wait = 11m").key());
    assertEquals("mqtt.auth.retry-wait", fails("mqtt.auth.retry-wait = 0s").key());
  }
}

package io.simqtt.core.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.config.SettingsException;
import io.simqtt.config.SettingsLoader;
import io.simqtt.core.Broker;
import io.simqtt.core.auth.PasswordHash;
import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example plug-in of the README (src/test/resources/example-plugin), compiled and packed into
 * a real jar here, in a directory of its own (not on the classpath), and loaded by a real node
 * through mqtt.auth.plugin-dir and mqtt.auth.chain.
 */
class AuthPluginTest {
  private static final String SOURCE = "example-plugin/com/example/simqtt/ClientIdPrefix.java";

  @TempDir static Path dir;
  private static Path plugins;
  private static Path passwords;

  @BeforeAll
  static void buildThePluginJar() throws Exception {
    Path classes = Files.createDirectories(dir.resolve("classes"));
    Path source = Path.of(AuthPluginTest.class.getClassLoader().getResource(SOURCE).toURI());
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    ByteArrayOutputStream errors = new ByteArrayOutputStream();
    String classpath = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    int rc = javac.run(null, errors, errors, "-d", classes.toString(), "-cp", classpath,
        source.toString());
    assertEquals(0, rc, errors.toString(UTF_8));
    plugins = Files.createDirectories(dir.resolve("plugins"));
    try (OutputStream out = Files.newOutputStream(plugins.resolve("client-id-prefix.jar"));
        JarOutputStream jar = new JarOutputStream(out);
        Stream<Path> files = Files.walk(classes)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        jar.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
        jar.write(Files.readAllBytes(f));
        jar.closeEntry();
      }
      jar.putNextEntry(new JarEntry("META-INF/services/io.simqtt.core.auth.Authenticator"));
      jar.write("com.example.simqtt.ClientIdPrefix\n".getBytes(UTF_8));
      jar.closeEntry();
    }
    passwords = Files.writeString(dir.resolve("passwd"),
        "alice:" + PasswordHash.create("pw-alice".getBytes(UTF_8), 10).format() + "\n");
  }

  private static String config(String chain) {
    return "mqtt.auth { password-file = \"" + passwords + "\", plugin-dir = \"" + plugins
        + "\", chain = " + chain + ", failure-delay = 0 }\n";
  }

  private static int connect(BrokerFixture f, String id, String user, String password) {
    try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
      Connect p = RawClient.connectPacket(MqttVersion.MQTT_5, id, true, 60, null);
      return c.connect(new Connect(MqttVersion.MQTT_5, true, 60, id, null, user,
          password.getBytes(UTF_8), p.properties())).reasonCode();
    }
  }

  @Test
  void thePluginIsAskedInItsPlaceInTheChain() throws Exception {
    try (BrokerFixture f = BrokerFixture.start(config("[client-id-prefix, password-file]"))) {
      assertEquals(ReasonCode.SUCCESS, connect(f, "alice-sensor-1", "alice", "pw-alice"));
      assertEquals(ReasonCode.NOT_AUTHORIZED, connect(f, "bob-1", "alice", "pw-alice"),
          "the plug-in refuses an id that does not start with the user name");
      assertEquals(ReasonCode.BAD_USER_NAME_OR_PASSWORD,
          connect(f, "alice-sensor-2", "alice", "wrong"), "then the password file decides");
      assertTrue(f.broker().reloadAuth("test").get(10, TimeUnit.SECONDS).reloaded(),
          "a reload re-reads the file and keeps the plug-in in its place");
      assertEquals(ReasonCode.NOT_AUTHORIZED, connect(f, "bob-2", "alice", "pw-alice"));
    }
  }

  @Test
  void aNameNoPluginHasIsAConfigErrorNamingTheChain() {
    Broker b = new Broker(SettingsLoader.fromString(
        "mqtt.listeners.tcp { host = \"127.0.0.1\", port = 0 }\n"
            + config("[client-id-prefx, password-file]")));
    try {
      SettingsException e = assertThrows(SettingsException.class, b::start);
      assertEquals("mqtt.auth.chain", e.key());
      assertTrue(e.getMessage().contains("names client-id-prefx, but no plug-in in " + plugins
          + " has that name (found: client-id-prefix)"), e.getMessage());
    } finally {
      b.close();
    }
  }
}

package io.simqtt.peer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.auth.PasswordHash;
import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.RawClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGHUP to a real node process re-reads its password and ACL files (watching them is off, so
 * nothing else could): the connected client's next publish and a new CONNECT follow the new
 * files, a broken file is logged with file and line and changes nothing, and the node keeps
 * running (left to the JVM, SIGHUP would stop it).
 */
class ReloadSignalTest {
  private static final Pattern STARTED =
      Pattern.compile("node n1 started: mqtt tcp://127\\.0\\.0\\.1:(\\d+)$");

  @TempDir Path dir;

  private static String user(String name, String password) {
    return name + ":" + PasswordHash.create(password.getBytes(UTF_8), 10).format() + "\n";
  }

  private static int connect(RawClient c, String id, String user, String password) {
    Connect p = RawClient.connectPacket(MqttVersion.MQTT_5, id, true, 60, null);
    return c.connect(new Connect(MqttVersion.MQTT_5, true, 60, id, null, user,
        password.getBytes(UTF_8), p.properties())).reasonCode();
  }

  private static int ackOf(RawClient c, String topic) {
    c.publish(topic, 1, false, "x".getBytes(UTF_8));
    return c.expect(PubResponse.class).reasonCode();
  }

  private static void hangUp(ChildProcess node) throws Exception {
    Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(node.pid())).start();
    assertTrue(kill.waitFor(10, TimeUnit.SECONDS));
    assertEquals(0, kill.exitValue());
  }

  @Test
  void sighupReloadsTheFilesAndTheNodeRunsOn() throws Exception {
    Path passwords = Files.writeString(dir.resolve("passwd"), user("alice", "pw1"));
    Path acl = Files.writeString(dir.resolve("acl"), "user alice\ntopic a/#\n");
    Path conf = Files.writeString(dir.resolve("node.conf"), "node.id = n1\n"
        + "mqtt.listeners.tcp { host = \"127.0.0.1\", port = 0 }\n"
        + "admin.enabled = false\nmetrics.enabled = false\nmqtt.sys.interval = 0\n"
        + "mqtt.features.allow-anonymous = false\n"
        + "mqtt.auth { password-file = \"" + passwords + "\", acl-file = \"" + acl + "\","
        + " failure-delay = 0, reload-on-change = false }\n");
    try (ChildProcess node = ChildProcess.java(
        Map.of(), NodeMain.class.getName(), "--config", conf.toString())) {
      int port = Integer.parseInt(node.awaitLine(STARTED, 60).group(1));
      try (RawClient alice = RawClient.open("127.0.0.1", port, MqttVersion.MQTT_5)) {
        assertEquals(ReasonCode.SUCCESS, connect(alice, "alice-1", "alice", "pw1"));
        assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, ackOf(alice, "a/1"));

        Files.writeString(passwords, user("alice", "pw2"));
        Files.writeString(acl, "user alice\ntopic b/#\n");
        hangUp(node);
        node.awaitLine(Pattern.compile("auth files reloaded \\(SIGHUP\\): 1 users from "
            + Pattern.quote(passwords.toString()) + ", 1 rules from "
            + Pattern.quote(acl.toString()) + "; 1 sessions follow the new rules"), 30);
        assertEquals(ReasonCode.NOT_AUTHORIZED, ackOf(alice, "a/1"));
        try (RawClient old = RawClient.open("127.0.0.1", port, MqttVersion.MQTT_5)) {
          assertEquals(ReasonCode.BAD_USER_NAME_OR_PASSWORD,
              connect(old, "alice-2", "alice", "pw1"));
        }

        Files.writeString(acl, "user alice\ntopic c/#\nuser\n");
        hangUp(node);
        node.awaitLine(Pattern.compile("auth files not reloaded \\(SIGHUP\\), the previous rules"
            + " stay in force: " + Pattern.quote(acl + " line 3: user needs a name")), 30);
        assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, ackOf(alice, "b/1"));
        assertEquals(ReasonCode.NOT_AUTHORIZED, ackOf(alice, "c/1"));
      }
      assertTrue(node.isAlive());
      node.terminate();
      assertEquals(0, node.awaitExit(30), node.stderr());
    }
  }
}

package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.hiveClient;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A password file made by Debian's mosquitto_passwd (package mosquitto), used by the broker as
 * it is, with the HiveMQ client (MQTT 5), Paho (3.1.1) and mosquitto_pub.
 */
class PasswordFileInteropTest {
  @TempDir static Path dir;
  private static Path passwords;

  @BeforeAll
  static void makePasswordFile() throws Exception {
    passwords = dir.resolve("passwd");
    run("mosquitto_passwd", "-c", "-b", passwords.toString(), "alice", "secret1");
    run("mosquitto_passwd", "-b", passwords.toString(), "bob", "b0b pass");
    run("mosquitto_passwd", "-H", "sha512", "-b", passwords.toString(), "old", "1.x hash");
  }

  private static String run(String... command) throws Exception {
    Path out = Files.createTempFile(dir, "out", ".txt");
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    } catch (IOException e) {
      throw new AssertionError(command[0] + " is not on PATH: install the Debian package"
          + (command[0].equals("mosquitto_passwd") ? " mosquitto" : " mosquitto-clients")
          + " (bin/test.sh does)", e);
    }
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail(String.join(" ", command) + " did not exit");
    }
    String text = Files.readString(out, StandardCharsets.UTF_8);
    if (command[0].equals("mosquitto_passwd")) {
      assertEquals(0, p.exitValue(), text);
    }
    return p.exitValue() + ":" + text;
  }

  private static BrokerFixture broker(boolean allowAnonymous, String failureDelay) {
    return BrokerFixture.start("mqtt.features.allow-anonymous = " + allowAnonymous + "\n"
        + "mqtt.auth { password-file = \"" + passwords + "\", failure-delay = " + failureDelay
        + " }\n");
  }

  private static Mqtt5ConnAckReasonCode hive(BrokerFixture f, String user, String password) {
    Mqtt5BlockingClient c = hiveClient(f, "h-" + user);
    try {
      var connect = c.connectWith();
      if (user != null) {
        connect = connect.simpleAuth().username(user).password(password.getBytes())
            .applySimpleAuth();
      }
      Mqtt5ConnAckReasonCode code = connect.send().getReasonCode();
      c.disconnect();
      return code;
    } catch (Mqtt5ConnAckException e) {
      return e.getMqttMessage().getReasonCode();
    }
  }

  private static int paho(BrokerFixture f, String user, String password) throws Exception {
    MqttClient c = new MqttClient(f.uri(), "p-" + user, new MemoryPersistence());
    MqttConnectOptions o = new MqttConnectOptions();
    if (user != null) {
      o.setUserName(user);
      o.setPassword(password.toCharArray());
    }
    try {
      c.connect(o);
      c.disconnect();
      return 0;
    } catch (MqttException e) {
      return e.getReasonCode();
    } finally {
      c.close();
    }
  }

  @Test
  void rightPasswordsConnectAndEverythingElseIsRefusedWithItsCode() throws Exception {
    try (BrokerFixture f = broker(false, "0")) {
      assertEquals(Mqtt5ConnAckReasonCode.SUCCESS, hive(f, "alice", "secret1"));
      assertEquals(Mqtt5ConnAckReasonCode.SUCCESS, hive(f, "bob", "b0b pass"));
      assertEquals(Mqtt5ConnAckReasonCode.SUCCESS, hive(f, "old", "1.x hash"), "$6$ hashes");
      assertEquals(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD, hive(f, "alice", "secret2"));
      assertEquals(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD, hive(f, "mallory", "x"));
      assertEquals(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED, hive(f, null, null));

      assertEquals(0, paho(f, "alice", "secret1"));
      assertEquals(4, paho(f, "alice", "wrong"), "3.1.1: bad user name or password");
      assertEquals(4, paho(f, "nobody", "x"));
      assertEquals(5, paho(f, null, null), "3.1.1: not authorized");

      String ok = run("mosquitto_pub", "-h", "127.0.0.1", "-p", String.valueOf(f.port()),
          "-u", "alice", "-P", "secret1", "-t", "auth/t", "-m", "hi");
      assertEquals("0:", ok);
      String bad = run("mosquitto_pub", "-h", "127.0.0.1", "-p", String.valueOf(f.port()),
          "-u", "alice", "-P", "nope", "-t", "auth/t", "-m", "hi");
      assertTrue(bad.toLowerCase().contains("bad user name or password"), bad);
      assertEquals(0, f.broker().sessions().size(), "refused clients leave no session");
    }
  }

  @Test
  void anonymousClientsMayComeInButNamesStillNeedTheirPassword() throws Exception {
    try (BrokerFixture f = broker(true, "0")) {
      assertEquals(Mqtt5ConnAckReasonCode.SUCCESS, hive(f, null, null));
      assertEquals(0, paho(f, null, null));
      assertEquals(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD, hive(f, "alice", "wrong"));
    }
  }

  @Test
  void eachRefusalFromAnAddressWaitsLonger() throws Exception {
    try (BrokerFixture f = broker(false, "200ms")) {
      long first = refusalMillis(f);
      long second = refusalMillis(f);
      assertTrue(first >= 200, "first refusal after " + first + " ms");
      assertTrue(second >= 400, "second refusal after " + second + " ms");
      assertNotEquals(0, f.broker().metrics().connectsRefused()
          .getOrDefault(ReasonCode.BAD_USER_NAME_OR_PASSWORD, 0L));
    }
  }

  /** How long a wrong password waits for its CONNACK. */
  private static long refusalMillis(BrokerFixture f) {
    try (RawClient raw = RawClient.open(f, MqttVersion.MQTT_5)) {
      Connect c = RawClient.connectPacket(MqttVersion.MQTT_5, "slow", true, 30, null);
      Connect wrong = new Connect(c.version(), c.cleanStart(), c.keepAlive(), c.clientId(),
          null, "alice", "guess".getBytes(StandardCharsets.UTF_8), c.properties());
      long t0 = System.nanoTime();
      raw.send(wrong);
      ConnAck ack = raw.expect(ConnAck.class, Duration.ofSeconds(5));
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertEquals(ReasonCode.BAD_USER_NAME_OR_PASSWORD, ack.reasonCode());
      return millis;
    }
  }
}

package io.simqtt.core.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.auth.PasswordHash;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.PacketType;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.metrics.DropReason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An ACL file in force on one node, as clients see it: which SUBSCRIBE, PUBLISH, retained
 * message, shared subscription and will each user gets, with the reason codes of MQTT 5 and
 * 3.1.1.
 */
class AclTest {
  private static final String ACL = """
      user alice
      topic readwrite home/#
      topic deny home/secret/#
      user bob
      topic read home/+/temp
      topic read $SYS/#
      user carol
      topic write home/#
      pattern readwrite devices/%c/#
      """;
  private static final Duration QUIET = Duration.ofMillis(300);

  @TempDir static Path dir;
  private static BrokerFixture f;

  @BeforeAll
  static void start() throws Exception {
    StringBuilder users = new StringBuilder();
    for (String u : List.of("alice", "bob", "carol")) {
      users.append(u).append(':')
          .append(PasswordHash.create(("pw-" + u).getBytes(UTF_8), 10).format()).append('\n');
    }
    Path passwords = Files.writeString(dir.resolve("passwd"), users);
    Path acl = Files.writeString(dir.resolve("acl"), ACL);
    f = BrokerFixture.start("mqtt.features.allow-anonymous = false\n"
        + "mqtt.sys.interval = 0\n"
        + "mqtt.auth { password-file = \"" + passwords + "\", acl-file = \"" + acl + "\","
        + " failure-delay = 0 }\n");
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  private static Connect connectAs(MqttVersion v, String id, String user, MqttPacket.Will will) {
    Connect c = RawClient.connectPacket(v, id, true, 60, null);
    return new Connect(v, true, 60, id, will, user, ("pw-" + user).getBytes(UTF_8),
        c.properties());
  }

  private static RawClient as(MqttVersion v, String id, String user) {
    RawClient c = RawClient.open(f, v);
    assertEquals(ReasonCode.SUCCESS, c.connect(connectAs(v, id, user, null)).reasonCode());
    return c;
  }

  private static int ackOf(RawClient c, String topic, int qos) {
    c.publish(topic, qos, false, "x".getBytes(UTF_8));
    PubResponse ack = c.expect(PubResponse.class);
    assertEquals(qos == 1 ? PacketType.PUBACK : PacketType.PUBREC, ack.type());
    return ack.reasonCode();
  }

  @Test
  void subscriptionsNeedARuleCoveringTheirFilter() {
    try (RawClient bob = as(MqttVersion.MQTT_5, "bob-1", "bob");
        RawClient bob3 = as(MqttVersion.MQTT_3_1_1, "bob-3", "bob");
        RawClient alice = as(MqttVersion.MQTT_5, "alice-1", "alice")) {
      assertEquals(List.of(1), bob.subscribe("home/+/temp", 1));
      assertEquals(List.of(1), bob.subscribe("home/hall/temp", 1));
      assertEquals(List.of(ReasonCode.NOT_AUTHORIZED), bob.subscribe("home/#", 1));
      assertEquals(List.of(ReasonCode.V3_SUBACK_FAILURE), bob3.subscribe("home/#", 1));
      assertEquals(List.of(1), bob.subscribe("$share/g/home/+/temp", 1), "$share/g/ stripped");
      assertEquals(List.of(ReasonCode.NOT_AUTHORIZED), bob.subscribe("$share/g/home/#", 1));
      assertEquals(List.of(0), bob.subscribe("$SYS/#", 0));
      assertEquals(List.of(ReasonCode.NOT_AUTHORIZED), alice.subscribe("$SYS/#", 0),
          "home/# does not reach $SYS");
      assertEquals(List.of(ReasonCode.NOT_AUTHORIZED), alice.subscribe("home/secret/+", 1));
    }
  }

  @Test
  void publishesTheRulesDoNotAllowAreRefusedAndCounted() {
    try (RawClient alice = as(MqttVersion.MQTT_5, "alice-2", "alice");
        RawClient bob = as(MqttVersion.MQTT_5, "bob-2", "bob");
        RawClient bob3 = as(MqttVersion.MQTT_3_1_1, "bob-23", "bob")) {
      assertEquals(List.of(1), alice.subscribe("home/#", 1));
      alice.topicsUntilQuiet(QUIET); // retained messages other tests left
      long dropped = f.broker().metrics().drops(DropReason.NOT_AUTHORIZED);
      assertEquals(ReasonCode.NOT_AUTHORIZED, ackOf(bob, "home/hall/temp", 1), "read only");
      assertEquals(ReasonCode.NOT_AUTHORIZED, ackOf(bob, "home/hall/temp", 2));
      bob.publish("home/hall/temp", 0, false, "q0".getBytes(UTF_8));
      assertEquals(ReasonCode.SUCCESS, ackOf(bob3, "home/hall/temp", 1), "3.1.1: a plain ack");
      assertEquals(ReasonCode.NOT_AUTHORIZED, ackOf(alice, "home/secret/x", 1), "deny wins");
      assertEquals(List.of(), alice.topicsUntilQuiet(QUIET), "none of them was delivered");
      assertEquals(dropped + 5, f.broker().metrics().drops(DropReason.NOT_AUTHORIZED));

      assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, ackOf(bob, "devices/bob-2/state", 1),
          "%c pattern: accepted (nobody listens)");
      assertEquals(ReasonCode.NOT_AUTHORIZED, ackOf(bob, "devices/alice-2/state", 1));
    }
  }

  @Test
  void subscribersOnlyReceiveWhatTheyMayReadRetainedMessagesToo() {
    try (RawClient carol = as(MqttVersion.MQTT_5, "carol-3", "carol")) {
      carol.publish("home/a/temp", 1, true, "21".getBytes(UTF_8));
      carol.expect(PubResponse.class);
      carol.publish("home/secret/code", 1, true, "1234".getBytes(UTF_8));
      carol.expect(PubResponse.class);
      try (RawClient alice = as(MqttVersion.MQTT_5, "alice-3", "alice")) {
        assertEquals(List.of(1), alice.subscribe("home/#", 1));
        assertEquals(List.of("home/a/temp"), alice.topicsUntilQuiet(QUIET), "retained, secret withheld");
        ackOf(carol, "home/secret/code2", 1);
        ackOf(carol, "home/b/temp", 1);
        assertEquals(List.of("home/b/temp"), alice.topicsUntilQuiet(QUIET));
      }
      carol.publish("home/a/temp", 1, true, new byte[0]);
      carol.expect(PubResponse.class);
      carol.publish("home/secret/code", 1, true, new byte[0]);
      carol.expect(PubResponse.class);
    }
  }

  @Test
  void aWillTheClientMayNotPublishRefusesTheConnect() {
    try (RawClient alice = RawClient.open(f, MqttVersion.MQTT_5)) {
      MqttPacket.Will will = new MqttPacket.Will("home/secret/will", "bye".getBytes(UTF_8), 1,
          false, MqttProperties.empty());
      assertEquals(ReasonCode.NOT_AUTHORIZED,
          alice.connect(connectAs(MqttVersion.MQTT_5, "alice-4", "alice", will)).reasonCode());
      assertNull(f.broker().sessions().get("alice-4"));
    }
    try (RawClient alice = RawClient.open(f, MqttVersion.MQTT_5)) {
      MqttPacket.Will will = new MqttPacket.Will("home/hall/will", "bye".getBytes(UTF_8), 1,
          false, MqttProperties.empty());
      assertEquals(ReasonCode.SUCCESS,
          alice.connect(connectAs(MqttVersion.MQTT_5, "alice-5", "alice", will)).reasonCode());
      assertTrue(f.broker().sessions().get("alice-5") != null);
    }
  }
}

package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.auth.Action;
import io.simqtt.core.auth.AuthReload;
import io.simqtt.core.auth.PasswordHash;
import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The password and ACL files change while clients are connected: after a reload, new CONNECTs
 * and the connected clients' next publish, subscription and delivery follow the new files; a
 * broken file keeps the rules in force; with reload-on-change a file replaced on disk is read
 * without anyone asking.
 */
class AuthReloadTest {
  private static final Duration QUIET = Duration.ofMillis(300);

  @TempDir Path dir;
  private Path passwords;
  private Path acl;

  private BrokerFixture start(String passwd, String rules, boolean watch) throws Exception {
    passwords = Files.writeString(dir.resolve("passwd"), passwd);
    acl = Files.writeString(dir.resolve("acl"), rules);
    return BrokerFixture.start("mqtt.features.allow-anonymous = false\n"
        + "mqtt.sys.interval = 0\n"
        + "mqtt.auth { password-file = \"" + passwords + "\", acl-file = \"" + acl + "\","
        + " failure-delay = 0, reload-on-change = " + watch + ", reload-delay = 50ms }\n");
  }

  private static String user(String name, String password) {
    return name + ":" + PasswordHash.create(password.getBytes(UTF_8), 10).format() + "\n";
  }

  private static int connect(BrokerFixture f, RawClient c, String id, String user, String pw) {
    Connect p = RawClient.connectPacket(MqttVersion.MQTT_5, id, true, 60, null);
    return c.connect(new Connect(MqttVersion.MQTT_5, true, 60, id, null, user,
        pw.getBytes(UTF_8), p.properties())).reasonCode();
  }

  private static RawClient as(BrokerFixture f, String id, String user, String pw) {
    RawClient c = RawClient.open(f, MqttVersion.MQTT_5);
    assertEquals(ReasonCode.SUCCESS, connect(f, c, id, user, pw));
    return c;
  }

  private static int ackOf(RawClient c, String topic) {
    c.publish(topic, 1, false, "x".getBytes(UTF_8));
    return c.expect(PubResponse.class).reasonCode();
  }

  private static AuthReload reload(BrokerFixture f) throws Exception {
    return f.broker().reloadAuth("test").get(10, TimeUnit.SECONDS);
  }

  @Test
  void newRulesReachNewConnectsAndTheNextActionsOfConnectedClients() throws Exception {
    try (BrokerFixture f = start(user("alice", "pw1") + user("bob", "pwb"),
            "user alice\ntopic readwrite a/#\nuser bob\ntopic read a/#\n", false);
        RawClient alice = as(f, "alice-1", "alice", "pw1");
        RawClient bob = as(f, "bob-1", "bob", "pwb")) {
      assertEquals(List.of(1), bob.subscribe("a/#", 1));
      assertEquals(ReasonCode.NOT_AUTHORIZED, bob.subscribe("b/#", 1).get(0));
      assertEquals(ReasonCode.SUCCESS, ackOf(alice, "a/1"));
      assertEquals(List.of("a/1"), bob.topicsUntilQuiet(QUIET));

      Files.writeString(passwords, user("alice", "pw2") + user("bob", "pwb")
          + user("carol", "pwc"));
      Files.writeString(acl, "user alice\ntopic write b/#\nuser bob\ntopic read b/#\n"
          + "user carol\ntopic write a/#\n");
      AuthReload r = reload(f);
      assertTrue(r.reloaded(), r.message());
      assertEquals(2, r.clientsUpdated());
      assertTrue(r.message().contains("3 users from " + passwords), r.message());
      assertTrue(r.message().contains("3 rules from " + acl), r.message());

      assertEquals(ReasonCode.NOT_AUTHORIZED, ackOf(alice, "a/2"), "publish: a/# is gone");
      assertEquals(List.of(1), bob.subscribe("b/#", 1), "subscribe: b/# is new");
      assertEquals(ReasonCode.SUCCESS, ackOf(alice, "b/1"));
      try (RawClient carol = as(f, "carol-1", "carol", "pwc")) {
        assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, ackOf(carol, "a/3"),
            "delivery: bob keeps his a/# subscription but may no longer read it");
      }
      assertEquals(List.of("b/1"), bob.topicsUntilQuiet(QUIET));

      try (RawClient oldPassword = RawClient.open(f, MqttVersion.MQTT_5);
          RawClient newPassword = RawClient.open(f, MqttVersion.MQTT_5)) {
        assertEquals(ReasonCode.BAD_USER_NAME_OR_PASSWORD,
            connect(f, oldPassword, "alice-2", "alice", "pw1"));
        assertEquals(ReasonCode.SUCCESS, connect(f, newPassword, "alice-3", "alice", "pw2"));
      }
    }
  }

  @Test
  void aBrokenFileKeepsTheRulesInForceAndSaysFileAndLine() throws Exception {
    try (BrokerFixture f = start(user("alice", "pw1"), "user alice\ntopic a/#\n", false);
        RawClient alice = as(f, "alice-1", "alice", "pw1")) {
      Files.writeString(acl, "user alice\n\ntopic write b/#\nfrobnicate a/#\n");
      AuthReload broken = reload(f);
      assertFalse(broken.reloaded());
      assertEquals(acl + " line 4: unknown keyword frobnicate (expected topic, user or pattern)",
          broken.message());
      assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, ackOf(alice, "a/1"), "the old rules stay");

      Files.writeString(acl, "user alice\ntopic write b/#\n");
      Files.writeString(passwords, user("alice", "pw2") + "bob\n");
      AuthReload half = reload(f);
      assertFalse(half.reloaded());
      assertEquals(passwords + " line 2: expected user:hash", half.message());
      assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, ackOf(alice, "a/1"),
          "nothing of a broken set is used, the good ACL file neither");
      try (RawClient again = as(f, "alice-2", "alice", "pw1")) {
        assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, ackOf(again, "a/1"));
      }

      Files.writeString(passwords, user("alice", "pw2"));
      assertTrue(reload(f).reloaded());
      assertEquals(ReasonCode.NOT_AUTHORIZED, ackOf(alice, "a/1"));
    }
  }

  @Test
  void filesChangedOnDiskAreReadWithoutAnyCall() throws Exception {
    try (BrokerFixture f = start(user("alice", "pw1"), "user alice\ntopic a/#\n", true);
        RawClient alice = as(f, "alice-1", "alice", "pw1")) {
      var session = f.broker().sessions().get("alice-1");
      // As editors and bin/passwd.sh do: a new file renamed over the old one.
      Path next = Files.writeString(dir.resolve("acl.new"), "user alice\ntopic b/#\n");
      Files.move(next, acl, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      await(Duration.ofSeconds(10),
          () -> !session.permissions().allows(Action.PUBLISH, "a/1", 1, false),
          "the renamed ACL file to be in force");
      assertEquals(ReasonCode.NOT_AUTHORIZED, ackOf(alice, "a/1"));
      assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, ackOf(alice, "b/1"));

      // Written in place, as `echo >> acl` does.
      Files.writeString(acl, "user alice\ntopic c/#\n");
      await(Duration.ofSeconds(10),
          () -> session.permissions().allows(Action.PUBLISH, "c/1", 1, false),
          "the ACL file written in place to be in force");
      assertEquals(ReasonCode.NOT_AUTHORIZED, ackOf(alice, "b/1"));

      Files.writeString(passwords, user("alice", "pw2"));
      try (RawClient c = RawClient.open(f, MqttVersion.MQTT_5)) {
        await(Duration.ofSeconds(10), () -> {
          try (RawClient probe = RawClient.open(f, MqttVersion.MQTT_5)) {
            return connect(f, probe, "alice-probe", "alice", "pw2") == ReasonCode.SUCCESS;
          }
        }, "the new password to be accepted");
        assertEquals(ReasonCode.BAD_USER_NAME_OR_PASSWORD, connect(f, c, "alice-2", "alice", "pw1"));
      }
    }
  }
}

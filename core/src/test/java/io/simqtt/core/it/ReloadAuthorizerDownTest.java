package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.auth.AuthReload;
import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ACL file is reloaded while the authorizer before it in the chain (a plug-in asking a
 * service) hangs or fails for a connected client: the reload ends at once all the same, the
 * client keeps the rules it had, and it follows the new ones once the authorizer answers again,
 * asked in the background, without reconnecting.
 */
class ReloadAuthorizerDownTest {
  private static final String BEFORE = "user alice\ntopic write a/#\n";
  private static final String AFTER = "user alice\ntopic write b/#\n";

  @TempDir Path dir;

  @AfterEach
  void authorizerUp() {
    FlakyAuthorizer.up();
  }

  /**
   * Before, the reload asked the hanging plug-in without a bound: it never ended, and the next
   * ones queued behind it until they were refused.
   */
  @Test
  void aReloadWhileTheAuthorizerHangsEndsAndTheClientKeepsItsRulesUntilItAnswers()
      throws Exception {
    try (BrokerFixture f = BrokerFixture.start(config());
        RawClient alice = alice(f)) {
      assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, ackOf(alice, "a/1"));
      FlakyAuthorizer.stall();
      Files.writeString(dir.resolve("acl"), AFTER);

      AuthReload r = f.broker().reloadAuth("test").get(5, TimeUnit.SECONDS);
      assertTrue(r.reloaded(), r.message());
      assertEquals(0, r.clientsUpdated(), "alice's question was given up");
      assertEquals(1, f.broker().permissionRetries().abandoned());
      assertEquals(1, f.broker().permissionRetries().waiting(), "asked again in the background");
      assertRulesKept(alice);

      FlakyAuthorizer.up();
      assertNewRulesOnceAnswered(f, alice);
    }
  }

  /**
   * Before, a client the authorizer failed for during a reload could do nothing until it
   * reconnected (a connected client is seldom told to).
   */
  @Test
  void aReloadWhileTheAuthorizerFailsKeepsTheClientsRulesUntilItAnswers() throws Exception {
    try (BrokerFixture f = BrokerFixture.start(config());
        RawClient alice = alice(f)) {
      FlakyAuthorizer.downFor("alice-1", false);
      Files.writeString(dir.resolve("acl"), AFTER);

      AuthReload r = f.broker().reloadAuth("test").get(5, TimeUnit.SECONDS);
      assertTrue(r.reloaded(), r.message());
      assertEquals(0, r.clientsUpdated());
      assertEquals(1, f.broker().permissionRetries().waiting(), "asked again in the background");
      assertRulesKept(alice);

      FlakyAuthorizer.up();
      assertNewRulesOnceAnswered(f, alice);
    }
  }

  private String config() throws Exception {
    return FlakyAuthorizer.config(dir, BEFORE) + "mqtt.auth.retry-wait = 200ms\n";
  }

  private static void assertRulesKept(RawClient alice) {
    assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, ackOf(alice, "a/2"), "a/# kept meanwhile");
    assertEquals(ReasonCode.NOT_AUTHORIZED, ackOf(alice, "b/1"), "b/# not yet");
  }

  private static void assertNewRulesOnceAnswered(BrokerFixture f, RawClient alice) {
    await("the retry answered", () -> f.broker().permissionRetries().waiting() == 0);
    assertEquals(ReasonCode.NOT_AUTHORIZED, ackOf(alice, "a/3"), "a/# is gone");
    assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, ackOf(alice, "b/2"), "b/# is new");
  }

  private static RawClient alice(BrokerFixture f) {
    RawClient c = RawClient.open(f, MqttVersion.MQTT_5);
    Connect p = RawClient.connectPacket(MqttVersion.MQTT_5, "alice-1", true, 60, null);
    assertEquals(ReasonCode.SUCCESS, c.connect(new Connect(MqttVersion.MQTT_5, true, 60,
        "alice-1", null, "alice", null, p.properties())).reasonCode());
    return c;
  }

  private static int ackOf(RawClient c, String topic) {
    c.publish(topic, 1, false, "x".getBytes(UTF_8));
    return c.expect(PubResponse.class).reasonCode();
  }
}

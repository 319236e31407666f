package io.simqtt.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** admin, metrics and mqtt.sys: defaults, the token rule and the environment names. */
class OperationsSettingsTest {

  private static SettingsException fails(String hocon) {
    return assertThrows(SettingsException.class, () -> SettingsLoader.fromString(hocon));
  }

  @Test
  void defaultsAreOnAndLoopback() {
    NodeSettings s = SettingsLoader.defaults();
    assertEquals(new AdminSettings(true, new ListenerSettings("127.0.0.1", 9090), "", ""), s.admin());
    assertEquals(new MetricsSettings(true, new ListenerSettings("127.0.0.1", 9464), 0), s.metrics());
    assertEquals(Duration.ofSeconds(10), s.mqtt().sys().interval());
    assertTrue(s.mqtt().sys().enabled());
  }

  @Test
  void emptyTokenOnlyOnLoopback() {
    SettingsException e = fails("admin.host = 0.0.0.0");
    assertEquals("admin.token", e.key());
    assertTrue(e.getMessage().contains("not a loopback address"), e.getMessage());
    assertEquals("10.0.0.1", SettingsLoader.fromString(
        "admin { host = 10.0.0.1, token = s3cret }").admin().listen().host());
    assertEquals("localhost",
        SettingsLoader.fromString("admin.host = localhost").admin().listen().host());
    // Off: no rule to enforce.
    assertFalse(SettingsLoader.fromString("admin { enabled = false, host = 0.0.0.0 }")
        .admin().enabled());
  }

  @Test
  void rangesAndConflictsNameTheKey() {
    assertEquals("admin.port", fails("admin.port = 70000").key());
    assertEquals("admin.port", fails("admin.port = 1883").key());
    assertEquals("metrics.port", fails("metrics.port = 9090").key());
    assertEquals("metrics.enabled", fails("metrics.enabled = maybe").key());
    assertEquals("mqtt.sys.interval", fails("mqtt.sys.interval = 5ms").key());
    assertEquals("mqtt.sys.interval", fails("mqtt.sys.interval = -1s").key());
    assertEquals("admin.tokn", fails("admin.tokn = x").key());
    assertFalse(SettingsLoader.fromString("mqtt.sys.interval = 0").mqtt().sys().enabled());
  }

  @Test
  void readinessCannotAskForMorePeersThanTheClusterHas() {
    SettingsException alone = fails("metrics.ready-min-peers = 1");
    assertEquals("metrics.ready-min-peers", alone.key());
    assertTrue(alone.getMessage().contains("0 peers"), alone.getMessage());
    String twoPeers = "cluster { secret = \"0123456789abcdef\", peers = ["
        + "{ id = n2, host = h, port = 7946 }, { id = n3, host = h, port = 7947 }] }\n";
    assertEquals(2, SettingsLoader.fromString(twoPeers + "metrics.ready-min-peers = 2")
        .metrics().readyMinPeers());
    assertEquals("metrics.ready-min-peers",
        fails(twoPeers + "metrics.ready-min-peers = 3").key());
    assertEquals("metrics.ready-min-peers", fails("metrics.ready-min-peers = -1").key());
  }

  @Test
  void tokenFromTheSameVariableTheCliReads() {
    NodeSettings s = SettingsLoader.load(
        new String[0], Map.of("SIMQTT_ADMIN_TOKEN", "abc"), new Properties());
    assertEquals("abc", s.admin().token());
  }

  @Test
  void readOnlyTokenNeedsAnAdminTokenOfItsOwn() {
    NodeSettings s = SettingsLoader.load(new String[0],
        Map.of("SIMQTT_ADMIN_TOKEN", "abc", "SIMQTT_ADMIN_READ_ONLY_TOKEN", "def"),
        new Properties());
    assertEquals("def", s.admin().readOnlyToken());
    SettingsException alone = fails("admin.read-only-token = def");
    assertEquals("admin.read-only-token", alone.key());
    assertTrue(alone.getMessage().contains("admin.token is empty"), alone.getMessage());
    SettingsException same = fails("admin { token = abc, read-only-token = abc }");
    assertEquals("admin.read-only-token", same.key());
    assertFalse(same.getMessage().contains("abc"), "tokens are never echoed: " + same.getMessage());
  }
}

package io.simqtt.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SettingsErrorTest {

  @TempDir Path dir;

  private static SettingsException fails(String hocon) {
    SettingsException e =
        assertThrows(SettingsException.class, () -> SettingsLoader.fromString(hocon));
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    assertTrue(e.getMessage().startsWith("config error: "), e.getMessage());
    return e;
  }

  @Test
  void outOfRangeNamesKeyValueAndRange() {
    SettingsException e = fails("mqtt.limits.receive-maximum = 0");
    assertEquals("mqtt.limits.receive-maximum", e.key());
    assertEquals("config error: mqtt.limits.receive-maximum = 0 is out of range (1..65535)"
        + " (set in config text line 1)", e.getMessage());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "mqtt.listeners.tcp.port = 65536                    | mqtt.listeners.tcp.port",
    "mqtt.listeners.tcp.port = -1                       | mqtt.listeners.tcp.port",
    "mqtt.listeners.tcp.host = \"\"                     | mqtt.listeners.tcp.host",
    "mqtt.listeners.tcp.type = udp                      | mqtt.listeners.tcp.type",
    "mqtt.listeners.ws { enabled = true, path = mqtt }  | mqtt.listeners.ws.path",
    "mqtt.listeners.tls { enabled = true, client-auth = maybe } | mqtt.listeners.tls.client-auth",
    "mqtt.limits.max-packet-size = 268435456            | mqtt.limits.max-packet-size",
    "mqtt.limits.max-packet-size = 1GiB                 | mqtt.limits.max-packet-size",
    "mqtt.limits.max-connect-packet-size = 8            | mqtt.limits.max-connect-packet-size",
    "mqtt.limits.connect-timeout = 2h                   | mqtt.limits.connect-timeout",
    "mqtt.limits.receive-maximum = 65536                | mqtt.limits.receive-maximum",
    "mqtt.limits.max-keep-alive = 65536                 | mqtt.limits.max-keep-alive",
    "mqtt.limits.topic-alias-maximum = -1               | mqtt.limits.topic-alias-maximum",
    "mqtt.limits.max-client-id-length = 22              | mqtt.limits.max-client-id-length",
    "mqtt.limits.max-topic-levels = 0                   | mqtt.limits.max-topic-levels",
    "mqtt.limits.max-subscriptions-per-client = 0       | mqtt.limits.max-subscriptions-per-client",
    "mqtt.limits.max-messages-per-second = -1           | mqtt.limits.max-messages-per-second",
    "mqtt.limits.max-bytes-per-second = 2GiB            | mqtt.limits.max-bytes-per-second",
    "mqtt.listeners.tcp.max-connections = -1      | mqtt.listeners.tcp.max-connections",
    "mqtt.listeners.tcp.max-connection-rate = 1000001 | mqtt.listeners.tcp.max-connection-rate",
    "mqtt.listeners.tcp.max-connection-rate-per-address = -1"
        + " | mqtt.listeners.tcp.max-connection-rate-per-address",
    "mqtt.heap-guard.stop-above = 1.5                   | mqtt.heap-guard.stop-above",
    "mqtt.heap-guard.stop-above = most                  | mqtt.heap-guard.stop-above",
    "mqtt.heap-guard.resume-below = 0.9                 | mqtt.heap-guard.resume-below",
    "mqtt.sessions.max-session-expiry = 4294967296      | mqtt.sessions.max-session-expiry",
    "mqtt.sessions.max-session-expiry-v3 = 4294967296   | mqtt.sessions.max-session-expiry-v3",
    "mqtt.sessions.max-session-expiry-v3 = -1           | mqtt.sessions.max-session-expiry-v3",
    "mqtt.sessions.max-session-expiry-v3 = 200000d      | mqtt.sessions.max-session-expiry-v3",
    "mqtt.sessions.max-session-expiry-v3 = 1500ms       | mqtt.sessions.max-session-expiry-v3",
    "mqtt.sessions.max-session-expiry-v3 = sometimes    | mqtt.sessions.max-session-expiry-v3",
    "mqtt.sessions.max-session-expiry-v3 = 1.5          | mqtt.sessions.max-session-expiry-v3",
    "mqtt.sessions.max-sessions = 0                     | mqtt.sessions.max-sessions",
    "mqtt.sessions.max-sessions = 100000001             | mqtt.sessions.max-sessions",
    "mqtt.sessions.max-queued-messages = -1             | mqtt.sessions.max-queued-messages",
    "mqtt.sessions.max-queued-bytes = -1                | mqtt.sessions.max-queued-bytes",
    "mqtt.sessions.max-queued-bytes = 2TiB              | mqtt.sessions.max-queued-bytes",
    "mqtt.sessions.max-queued-bytes = lots              | mqtt.sessions.max-queued-bytes",
    "mqtt.sessions.max-inflight = 0                     | mqtt.sessions.max-inflight",
    "mqtt.features.max-qos = 3                          | mqtt.features.max-qos",
    "mqtt.retained.tombstone-retention = 59s            | mqtt.retained.tombstone-retention",
    "mqtt.retained.tombstone-retention = 31d            | mqtt.retained.tombstone-retention",
    "mqtt.retained.tombstone-retention = 10             | mqtt.retained.tombstone-retention",
    "mqtt.retained.max-tombstones = 0                   | mqtt.retained.max-tombstones",
    "mqtt.retained.max-tombstones = 100000001           | mqtt.retained.max-tombstones",
    "mqtt.features.outbound-topic-alias-maximum = 65536 | mqtt.features.outbound-topic-alias-maximum",
    "mqtt.storage.sync = sometimes                      | mqtt.storage.sync",
    "mqtt.storage.sync-interval = 0ms                   | mqtt.storage.sync-interval",
    "mqtt.storage.sync-interval = 11s                   | mqtt.storage.sync-interval",
    "mqtt.storage.max-pending-writes = 99               | mqtt.storage.max-pending-writes",
    "mqtt.storage.max-pending-bytes = 2GiB              | mqtt.storage.max-pending-bytes",
    "mqtt.storage.cache-size = 1KiB                     | mqtt.storage.cache-size",
    "cluster.listen.port = 70000                        | cluster.listen.port",
    "cluster.late-redirect-time = 2d                    | cluster.late-redirect-time",
    "cluster.name = \"\"                                | cluster.name",
    "node.id = \"has space\"                            | node.id",
  })
  void everyRangeIsChecked(String hocon, String key) {
    SettingsException e = fails(hocon);
    assertEquals(key, e.key(), e.getMessage());
    assertTrue(e.getMessage().contains(key + " = "), e.getMessage());
  }

  @Test
  void aDataDirThatIsAFileIsRefusedByName() throws IOException {
    Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
    SettingsException e = fails("mqtt.storage.data-dir = \"" + file + "\"");
    assertEquals("mqtt.storage.data-dir", e.key());
    assertTrue(e.getMessage().contains("is a file, not a directory"), e.getMessage());
  }

  @Test
  void wrongTypesSayWhatWasExpected() {
    assertTrue(fails("mqtt.listeners.tcp.port = abc").getMessage().startsWith(
        "config error: mqtt.listeners.tcp.port = abc is not a number (expected 0..65535)"));
    assertTrue(
        fails("mqtt.listeners.tcp.port = 1.5").getMessage().contains("is not a whole number"));
    assertTrue(fails("mqtt.limits.max-packet-size = lots").getMessage()
        .contains("mqtt.limits.max-packet-size = lots is not a size"));
    assertTrue(fails("mqtt.limits.connect-timeout = soon").getMessage()
        .contains("mqtt.limits.connect-timeout = soon is not a duration"));
    assertTrue(fails("mqtt.features.retain-available = maybe").getMessage()
        .contains("is not a boolean"));
    assertEquals("config error: mqtt.sessions.queue-overflow = drop-all is not one of"
            + " drop-new | drop-oldest (set in config text line 1)",
        fails("mqtt.sessions.queue-overflow = drop-all").getMessage());
    assertTrue(fails("mqtt.listeners.tcp = 5").getMessage().startsWith(
        "config error: mqtt.listeners.tcp = 5 must be an object with keys enabled, host,"
            + " max-connection-rate, max-connection-rate-per-address, max-connections, port,"
            + " proxy-protocol, type"));
    assertEquals("mqtt.limits.receive-maximum",
        fails("mqtt.limits.receive-maximum = null").key());
    assertEquals("config error: mqtt.sessions.max-session-expiry-v3 = soon is not a number of"
            + " seconds (expected 0..4294967295 seconds, a duration such as 7d, or never)"
            + " (set in config text line 1)",
        fails("mqtt.sessions.max-session-expiry-v3 = soon").getMessage());
  }

  @Test
  void unknownKeySuggestsTheClosestOne() {
    SettingsException e = fails("mqtt.limits.max-packet-sise = 1MiB");
    assertEquals("config error: unknown key mqtt.limits.max-packet-sise"
        + " (did you mean max-packet-size?) (set in config text line 1)", e.getMessage());
  }

  @Test
  void unknownKeyWithoutCloseMatchListsTheKnownOnes() {
    SettingsException e = fails("mqtt.listeners.tcp.backlog = 10");
    assertEquals("mqtt.listeners.tcp.backlog", e.key());
    assertTrue(e.getMessage().contains("(expected one of: enabled, host, max-connection-rate,"
        + " max-connection-rate-per-address, max-connections, port, proxy-protocol, type)"),
        e.getMessage());
  }

  @Test
  void unknownTopLevelAndSectionKeysAreRefused() {
    assertEquals("mqt", fails("mqt.tcp.port = 1").key());
    assertTrue(fails("mqt.tcp.port = 1").getMessage().contains("did you mean mqtt?"));
    assertEquals("node.name", fails("node.name = x").key());
    assertEquals("cluster.peer", fails("cluster.peer = []").key());
    assertEquals("cluster.peers[0].hots",
        fails("cluster.peers = [{ id = n2, hots = h, port = 1 }]").key());
  }

  @Test
  void clusterRules() {
    String secret = "cluster.secret = \"0123456789abcdef\", ";
    SettingsException noSecret = fails("cluster.peers = [{ id = n2, host = h, port = 7946 }]");
    assertEquals("cluster.secret", noSecret.key());
    assertTrue(noSecret.getMessage().contains("at least 16 characters"));

    SettingsException shortSecret = fails("cluster.secret = tooshort-secret, "
        + "cluster.peers = [{ id = n2, host = h, port = 7946 }]");
    assertFalse(shortSecret.getMessage().contains("tooshort-secret"), "never echo a secret");

    assertEquals("cluster.peers[0].id",
        fails(secret + "cluster.peers = [{ id = n1, host = h, port = 7946 }]").key());
    assertEquals("cluster.peers[1].id", fails(secret + "cluster.peers = ["
        + "{ id = n2, host = a, port = 7946 }, { id = n2, host = b, port = 7946 }]").key());
    assertEquals("cluster.peers[0].port",
        fails(secret + "cluster.peers = [{ id = n2, host = h, port = 0 }]").key());
    assertEquals("cluster.peers[0].host",
        fails(secret + "cluster.peers = [{ id = n2, host = \"\", port = 1 }]").key());
    assertEquals("cluster.peers[0].port",
        fails(secret + "cluster.peers = [{ id = n2, host = h }]").key());
    assertEquals("cluster.peers[0]", fails(secret + "cluster.peers = [ n2 ]").key());
    assertEquals("cluster.listen.port", fails(secret + "mqtt.listeners.tcp.port = 7946, "
        + "cluster.peers = [{ id = n2, host = h, port = 7946 }]").key());
  }

  @Test
  void aClaimTimeoutNotBelowTheConnectTimeoutIsRefusedInACluster() {
    String peers = "cluster.secret = \"0123456789abcdef\", "
        + "cluster.peers = [{ id = n2, host = h, port = 7946 }], ";
    SettingsException e =
        fails(peers + "mqtt.limits.connect-timeout = 3s, cluster.claim-timeout = 3s");
    assertEquals("cluster.claim-timeout", e.key());
    assertTrue(e.getMessage().contains("is not below mqtt.limits.connect-timeout (3000 ms)"),
        e.getMessage());
    assertEquals("cluster.claim-timeout",
        fails(peers + "mqtt.limits.connect-timeout = 2s").key()); // claim-timeout's default: 3s
    SettingsLoader.fromString(
        peers + "mqtt.limits.connect-timeout = 3s, cluster.claim-timeout = 2999ms");
    // Alone, a node claims nothing: a short connect timeout needs no shorter claim timeout.
    SettingsLoader.fromString("mqtt.limits.connect-timeout = 500ms");
  }

  @Test
  void aLateRedirectTimeBelowTheRedirectTimeIsRefused() {
    SettingsException e =
        fails("cluster.redirect-time = 10s, cluster.late-redirect-time = 9s");
    assertEquals("cluster.late-redirect-time", e.key());
    assertTrue(e.getMessage().contains("is below cluster.redirect-time (10000 ms)"),
        e.getMessage());
    assertEquals("cluster.late-redirect-time",
        fails("cluster.redirect-time = 10m").key()); // late-redirect-time's default: 5m
    SettingsLoader.fromString("cluster.redirect-time = 10s, cluster.late-redirect-time = 10s");
    assertEquals(Duration.ofDays(1), SettingsLoader.fromString(
        "cluster.late-redirect-time = 1d").cluster().timing().lateRedirectTime());
  }

  @Test
  void portZeroIsAllowedForTests() {
    NodeSettings s =
        SettingsLoader.fromString("mqtt.listeners.tcp.port = 0, cluster.listen.port = 0");
    assertEquals(0, s.mqtt().listeners().get(0).port());
  }

  @Test
  void missingFileNamesThePathAndWhereItCameFrom() {
    Path missing = dir.resolve("nope.conf");
    SettingsException e = assertThrows(SettingsException.class, () -> SettingsLoader.load(
        new String[] {"--config", missing.toString()}, Map.of(), new Properties()));
    assertEquals("config error: config file " + missing + " (from --config) does not exist",
        e.getMessage());

    SettingsException viaEnv = assertThrows(SettingsException.class, () -> SettingsLoader.load(
        new String[0], Map.of("SI_CFG_PATH", missing.toString()), new Properties()));
    assertTrue(viaEnv.getMessage().contains("(from SI_CFG_PATH)"), viaEnv.getMessage());
  }

  @Test
  void configOptionNeedsAValue() {
    SettingsException e = assertThrows(SettingsException.class,
        () -> SettingsLoader.load(new String[] {"--config"}, Map.of(), new Properties()));
    assertEquals("--config", e.key());
  }

  @Test
  void syntaxErrorNamesFileAndLine() throws IOException {
    Path file = Files.writeString(
        dir.resolve("broken.conf"), "node.id = n1\nmqtt {\n  listeners.tcp.port = 1\n");
    SettingsException e = assertThrows(SettingsException.class, () -> SettingsLoader.load(
        new String[] {"--config", file.toString()}, Map.of(), new Properties()));
    assertTrue(e.getMessage().startsWith("config error: syntax error in " + file + " line "),
        e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  @Test
  void errorFromFileNamesFileAndLine() throws IOException {
    Path file = Files.writeString(dir.resolve("bad.conf"),
        "# comment\nmqtt.limits {\n  receive-maximum = 0\n}\n");
    SettingsException e = assertThrows(SettingsException.class, () -> SettingsLoader.load(
        new String[] {"--config", file.toString()}, Map.of(), new Properties()));
    assertEquals("config error: mqtt.limits.receive-maximum = 0 is out of range (1..65535)"
        + " (set in " + file + " line 3)", e.getMessage());
  }

  @Test
  void unknownSystemPropertyIsRefused() {
    Properties sys = new Properties();
    sys.setProperty("mqtt.listeners.tcp.prot", "1");
    SettingsException e = assertThrows(SettingsException.class,
        () -> SettingsLoader.load(new String[0], Map.of(), sys));
    assertEquals("mqtt.listeners.tcp.prot", e.key());
    assertTrue(e.getMessage().contains("system properties"), e.getMessage());
  }

  @Test
  void unresolvedSubstitutionIsOneLine() {
    SettingsException e = fails("node.id = ${nothing.here}");
    assertTrue(e.getMessage().contains("nothing.here"), e.getMessage());
  }
}

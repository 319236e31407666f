package io.simqtt.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.config.SessionSettings.QueueOverflow;
import io.simqtt.config.SessionSettings.SharedStrategy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsLoaderTest {

  @TempDir Path dir;

  @Test
  void defaultsMatchReferenceConf() {
    NodeSettings s = SettingsLoader.defaults();
    assertEquals("n1", s.nodeId());
    assertEquals(List.of(MqttListenerSettings.tcp("0.0.0.0", 1883)), s.mqtt().listeners());
    LimitSettings l = s.mqtt().limits();
    assertEquals(1024 * 1024, l.maxPacketSize());
    assertEquals(64 * 1024, l.maxConnectPacketSize());
    assertEquals(Duration.ofSeconds(10), l.connectTimeout());
    assertEquals(1024, l.receiveMaximum());
    assertEquals(0, l.maxKeepAlive());
    assertEquals(64, l.topicAliasMaximum());
    assertEquals(1024, l.maxClientIdLength());
    assertEquals(128, l.maxTopicLevels());
    assertEquals(1000, l.maxSubscriptionsPerClient());
    assertEquals(0, l.maxMessagesPerSecond());
    assertEquals(0, l.maxBytesPerSecond());
    assertFalse(l.limitsInboundRate());
    assertEquals(ConnectionLimits.NONE, s.mqtt().listeners().get(0).admission());
    assertEquals(HeapGuardSettings.DEFAULT, s.mqtt().heapGuard());
    SessionSettings ss = s.mqtt().sessions();
    assertEquals(4_294_967_295L, ss.maxSessionExpiry());
    assertEquals(1_000_000, ss.maxSessions());
    assertEquals(7 * 24 * 3600, ss.maxSessionExpiryV3());
    assertEquals(1000, ss.maxQueuedMessages());
    assertEquals(64L << 20, ss.maxQueuedBytes());
    assertEquals(QueueOverflow.DROP_NEW, ss.queueOverflow());
    assertEquals(65535, ss.maxInflight());
    assertEquals(SharedStrategy.ROUND_ROBIN, ss.sharedSubscriptionStrategy());
    assertEquals(1000, ss.queueMemoryMessages());
    assertEquals(
        new FeatureSettings(2, true, true, true, true, 0, "", true), s.mqtt().features());
    assertEquals(
        new RetainedSettings(Duration.ofHours(24), 100_000), s.mqtt().retained());
    assertEquals(RetainedSettings.DEFAULT, s.mqtt().retained());
    ClusterSettings c = s.cluster();
    assertEquals("simqtt", c.name());
    assertEquals("", c.secret());
    assertEquals(ClusterSettings.Timing.DEFAULTS, c.timing());
    assertEquals(64 << 20, c.maxLinkBacklog());
    assertEquals(new ListenerSettings("0.0.0.0", 7946), c.listen());
    assertTrue(c.isSingleNode());
  }

  @Test
  void loadWithNothingGivenIsTheDefaults() {
    assertEquals(
        SettingsLoader.defaults(), SettingsLoader.load(new String[0], Map.of(), new Properties()));
  }

  @Test
  void fromStringOverridesOnlyWhatItNames() {
    NodeSettings s = SettingsLoader.fromString(
        "mqtt.listeners.tcp.port = 0, mqtt.listeners.tcp.host = 127.0.0.1");
    assertEquals(List.of(MqttListenerSettings.tcp("127.0.0.1", 0)), s.mqtt().listeners());
    assertEquals(SettingsLoader.defaults().mqtt().limits(), s.mqtt().limits());
  }

  @Test
  void overloadLimitsAreRead() {
    NodeSettings s = SettingsLoader.fromString("""
        mqtt.listeners.tcp { max-connections = 5, max-connection-rate = 100,
                   max-connection-rate-per-address = 10 }
        mqtt.limits { max-messages-per-second = 100, max-bytes-per-second = 64KiB }
        mqtt.heap-guard { enabled = false, stop-above = 0.75, resume-below = 0.5 }
        """);
    assertEquals(new ConnectionLimits(5, 100, 10), s.mqtt().listeners().get(0).admission());
    assertEquals(100, s.mqtt().limits().maxMessagesPerSecond());
    assertEquals(64 * 1024, s.mqtt().limits().maxBytesPerSecond());
    assertTrue(s.mqtt().limits().limitsInboundRate());
    assertEquals(new HeapGuardSettings(false, 0.75, 0.5), s.mqtt().heapGuard());
  }

  @Test
  void retainedTombstoneSettingsAcceptTheirWholeRange() {
    NodeSettings low = SettingsLoader.fromString(
        "mqtt.retained { tombstone-retention = 1m, max-tombstones = 1 }");
    assertEquals(new RetainedSettings(Duration.ofMinutes(1), 1), low.mqtt().retained());
    NodeSettings high = SettingsLoader.fromString(
        "mqtt.retained { tombstone-retention = 30d, max-tombstones = 100000000 }");
    assertEquals(new RetainedSettings(Duration.ofDays(30), 100_000_000), high.mqtt().retained());
    NodeSettings env = SettingsLoader.load(new String[0],
        Map.of("SIMQTT_MQTT__RETAINED__MAX_TOMBSTONES", "10"), new Properties());
    assertEquals(10, env.mqtt().retained().maxTombstones());
  }

  @Test
  void storageIsInMemoryByDefaultAndDurableWithADataDir(@TempDir Path dir) {
    assertEquals(StorageSettings.MEMORY, SettingsLoader.defaults().mqtt().storage());
    assertFalse(SettingsLoader.defaults().mqtt().storage().durable());
    NodeSettings s = SettingsLoader.fromString("mqtt.storage { data-dir = \"" + dir
        + "/data\", sync = interval, sync-interval = 5ms, max-pending-writes = 1000,"
        + " max-pending-bytes = 4MiB, cache-size = 8MiB }");
    assertEquals(new StorageSettings(dir.resolve("data"), StorageSettings.Sync.INTERVAL,
        Duration.ofMillis(5), 1000, 4 << 20, 8 << 20), s.mqtt().storage());
    assertTrue(s.mqtt().storage().durable());
  }

  @Test
  void v3SessionExpiryTakesSecondsDurationsOrNever() {
    String key = "mqtt.sessions.max-session-expiry-v3";
    assertEquals(3600, v3Expiry(key + " = 3600"));
    assertEquals(3600, v3Expiry(key + " = \"3600\""));
    assertEquals(43_200, v3Expiry(key + " = 12h"));
    assertEquals(0, v3Expiry(key + " = 0"));
    assertEquals(4_294_967_295L, v3Expiry(key + " = never"));
    assertEquals(4_294_967_295L, v3Expiry(key + " = 4294967295"));
  }

  private static long v3Expiry(String hocon) {
    return SettingsLoader.fromString(hocon).mqtt().sessions().maxSessionExpiryV3();
  }

  @Test
  void sizesAndDurationsAcceptUnitsAndPlainNumbers() {
    NodeSettings s = SettingsLoader.fromString(
        "mqtt.limits { max-packet-size = 256KiB, max-connect-packet-size = 4096,"
            + " connect-timeout = 1500ms }");
    assertEquals(256 * 1024, s.mqtt().limits().maxPacketSize());
    assertEquals(4096, s.mqtt().limits().maxConnectPacketSize());
    assertEquals(Duration.ofMillis(1500), s.mqtt().limits().connectTimeout());

    NodeSettings max = SettingsLoader.fromString(
        "mqtt.limits.max-packet-size = 268435455, mqtt.limits.connect-timeout = 1h");
    assertEquals(268_435_455, max.mqtt().limits().maxPacketSize());
    assertEquals(Duration.ofHours(1), max.mqtt().limits().connectTimeout());
  }

  @Test
  void enumsAreKebabCase() {
    NodeSettings s = SettingsLoader.fromString(
        "mqtt.sessions { queue-overflow = drop-oldest, shared-subscription-strategy = random }");
    assertEquals(QueueOverflow.DROP_OLDEST, s.mqtt().sessions().queueOverflow());
    assertEquals(SharedStrategy.RANDOM, s.mqtt().sessions().sharedSubscriptionStrategy());
  }

  @Test
  void peersAreRead() {
    NodeSettings s = SettingsLoader.fromString(
        "node.id = n1, cluster.secret = \"0123456789abcdef\", cluster.peers = ["
            + "{ id = n2, host = 10.0.0.2, port = 7946 }, { id = n3, host = h3, port = 7947 }]");
    assertFalse(s.cluster().isSingleNode());
    assertEquals(new ClusterSettings.PeerAddress("n3", "h3", 7947), s.cluster().peers().get(1));
  }

  @Test
  void layersFileThenEnvironmentThenSystemProperties() throws IOException {
    Path file = write("node.conf", """
        node.id = from-file
        mqtt.listeners.tcp.port = 2001
        mqtt.limits.receive-maximum = 10
        mqtt.features.max-qos = 1
        """);
    Map<String, String> env = Map.of(
        "SIMQTT_MQTT__LISTENERS__TCP__PORT", "2002",
        "SIMQTT_MQTT_LIMITS_RECEIVE_MAXIMUM", "20");
    Properties sys = new Properties();
    sys.setProperty("mqtt.listeners.tcp.port", "2003");
    sys.setProperty("java.vendor", "ignored: not one of our roots");

    NodeSettings s = SettingsLoader.load(new String[] {"--config", file.toString()}, env, sys);

    assertEquals("from-file", s.nodeId());
    assertEquals(1, s.mqtt().features().maxQos());
    assertEquals(20, s.mqtt().limits().receiveMaximum());
    assertEquals(2003, s.mqtt().listeners().get(0).port());
  }

  @Test
  void fileFromEnvironmentWhenNoOption() throws IOException {
    Path file = write("env.conf", "node.id = via-env-path");
    NodeSettings s = SettingsLoader.load(
        new String[0], Map.of("SI_CFG_PATH", file.toString()), new Properties());
    assertEquals("via-env-path", s.nodeId());
  }

  @Test
  void optionWinsOverEnvironmentPathAndAcceptsEqualsForm() throws IOException {
    Path a = write("a.conf", "node.id = a");
    Path b = write("b.conf", "node.id = b");
    NodeSettings s = SettingsLoader.load(
        new String[] {"--other", "--config=" + a}, Map.of("SI_CFG_PATH", b.toString()),
        new Properties());
    assertEquals("a", s.nodeId());
  }

  @Test
  void fileSubstitutionsReadTheGivenEnvironment() throws IOException {
    Path file = write("subst.conf", "node.id = ${?NODE_NAME}\n");
    NodeSettings s = SettingsLoader.load(
        new String[] {"--config", file.toString()}, Map.of("NODE_NAME", "n7"), new Properties());
    assertEquals("n7", s.nodeId());
  }

  @Test
  void exampleFileIsValid() throws Exception {
    Path file = dir.resolve("single-node.conf");
    try (var in = SettingsLoader.class.getResourceAsStream("/examples/single-node.conf")) {
      Files.copy(in, file);
    }
    NodeSettings s = SettingsLoader.load(
        new String[] {"--config", file.toString()}, Map.of(), new Properties());
    assertEquals(1883, s.mqtt().listeners().get(0).port());
  }

  @Test
  void theAllListenersExampleOpensAllFour() throws Exception {
    Path file = dir.resolve("all-listeners.conf");
    try (var in = SettingsLoader.class.getResourceAsStream("/examples/all-listeners.conf")) {
      Files.copy(in, file);
    }
    Path tls = Files.createDirectories(dir.resolve("tls"));
    write("tls/server.pem", "");
    write("tls/server.key", "");
    NodeSettings s = SettingsLoader.load(new String[] {"--config", file.toString()},
        Map.of("SIMQTT_MQTT_TLS_CERT_FILE", tls.resolve("server.pem").toString(),
            "SIMQTT_MQTT_TLS_KEY_FILE", tls.resolve("server.key").toString()), new Properties());
    assertEquals(List.of("tcp://0.0.0.0:1883", "ssl://0.0.0.0:8883", "ws://0.0.0.0:8083/mqtt",
            "wss://0.0.0.0:8084/mqtt"),
        s.mqtt().listeners().stream().map(l -> l.url(l.host(), l.port())).toList());
    assertEquals(tls.resolve("server.pem"), s.mqtt().tls().certFile());
  }

  private Path write(String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name), text);
  }
}

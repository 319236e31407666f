package io.simqtt.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class EnvOverridesTest {

  private static NodeSettings load(Map<String, String> env) {
    return SettingsLoader.load(new String[0], env, new Properties());
  }

  @Test
  void doubleUnderscoreIsDotAndSingleIsDash() {
    NodeSettings s = load(Map.of(
        "SIMQTT_MQTT__LIMITS__MAX_PACKET_SIZE", "2MiB",
        "SIMQTT_MQTT__LIMITS__CONNECT_TIMEOUT", "3s",
        "SIMQTT_MQTT__FEATURES__RETAIN_AVAILABLE", "false",
        "SIMQTT_MQTT__SESSIONS__QUEUE_OVERFLOW", "drop-oldest"));
    assertEquals(2 * 1024 * 1024, s.mqtt().limits().maxPacketSize());
    assertEquals(java.time.Duration.ofSeconds(3), s.mqtt().limits().connectTimeout());
    assertEquals(false, s.mqtt().features().retainAvailable());
    assertEquals(SessionSettings.QueueOverflow.DROP_OLDEST, s.mqtt().sessions().queueOverflow());
  }

  @Test
  void clusterSecretVariableFallsOutOfTheShorthand() {
    NodeSettings s = load(Map.of("SIMQTT_CLUSTER_SECRET", "0123456789abcdef"));
    assertEquals("0123456789abcdef", s.cluster().secret());
  }

  @Test
  void namesAreCaseInsensitive() {
    assertEquals("n9", load(Map.of("simqtt_node__id", "n9")).nodeId());
  }

  @Test
  void peersTakeHoconListText() {
    NodeSettings s = load(Map.of(
        "SIMQTT_CLUSTER_SECRET", "0123456789abcdef",
        "SIMQTT_CLUSTER__PEERS", "[{ id = n2, host = 10.0.0.2, port = 7946 }]"));
    assertEquals("n2", s.cluster().peers().get(0).id());
  }

  @Test
  void otherSimqttVariablesAreLeftAlone() {
    assertEquals(SettingsLoader.defaults(), load(Map.of("SIMQTT_LOG_LEVEL", "DEBUG", "PATH", "/x")));
  }

  @Test
  void unknownVariableUnderOurRootsIsAnError() {
    SettingsException e = assertThrows(SettingsException.class,
        () -> load(Map.of("SIMQTT_MQTT__LISTENERS__TCP__PROT", "1")));
    assertEquals(
        "config error: environment variable SIMQTT_MQTT__LISTENERS__TCP__PROT names no setting"
            + " (did you mean SIMQTT_MQTT__LISTENERS__TCP__PORT?)",
        e.getMessage());
  }

  @Test
  void shorthandTypoGetsAShorthandSuggestion() {
    SettingsException e = assertThrows(SettingsException.class,
        () -> load(Map.of("SIMQTT_MQTT_LISTENERS_TCP_PROT", "1")));
    assertTrue(e.getMessage().endsWith("(did you mean SIMQTT_MQTT_LISTENERS_TCP_PORT?)"), e.getMessage());
  }

  @Test
  void badValueNamesKeyAndVariable() {
    SettingsException e = assertThrows(SettingsException.class,
        () -> load(Map.of("SIMQTT_MQTT__LISTENERS__TCP__PORT", "99999")));
    assertEquals("mqtt.listeners.tcp.port", e.key());
    assertTrue(e.getMessage().contains("environment variable SIMQTT_MQTT__LISTENERS__TCP__PORT"),
        e.getMessage());
  }

  @Test
  void everyKnownKeyHasAnUnambiguousShorthand() {
    // If two keys ever collide in the single-underscore form, the shorthand silently stops
    // working for them; catch that here rather than in an operator's deployment.
    var seen = new java.util.HashMap<String, String>();
    for (String key : SettingsLoader.knownKeys()) {
      String loose = key.replace('.', '_').replace('-', '_');
      String previous = seen.put(loose, key);
      assertEquals(null, previous, key + " and " + previous + " share " + loose);
    }
  }
}

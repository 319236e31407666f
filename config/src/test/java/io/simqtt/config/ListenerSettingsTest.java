package io.simqtt.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.config.MqttListenerSettings.ClientAuth;
import io.simqtt.config.MqttListenerSettings.Type;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ListenerSettingsTest {

  private static SettingsException fails(String hocon) {
    return assertThrows(SettingsException.class, () -> SettingsLoader.fromString(hocon));
  }

  @Test
  void theDefaultIsOnePlainListenerOn1883() {
    assertEquals(List.of(MqttListenerSettings.tcp("0.0.0.0", 1883)),
        SettingsLoader.defaults().mqtt().listeners());
  }

  @Test
  void predefinedListenersAreEnabledByName(@TempDir Path dir) throws IOException {
    Path pem = Files.writeString(dir.resolve("x.pem"), "");
    List<MqttListenerSettings> l = SettingsLoader.fromString(
        "mqtt.tls { cert-file = \"" + pem + "\", key-file = \"" + pem + "\" }\n"
            + "mqtt.listeners { ws.enabled = true, wss { enabled = true, path = /ws },"
            + " tls.enabled = true }").mqtt().listeners();
    assertEquals(List.of("tcp", "tls", "ws", "wss"),
        l.stream().map(MqttListenerSettings::name).toList());
    assertEquals(new MqttListenerSettings("ws", Type.WS, "0.0.0.0", 8083, false, "/mqtt", false,
        ClientAuth.NONE, ConnectionLimits.NONE), l.get(2));
    assertEquals("/ws", l.get(3).path());
    assertEquals(8883, l.get(1).port());
    assertEquals("wss://127.0.0.1:8084/ws", l.get(3).url("127.0.0.1", 8084));
  }

  @Test
  void anotherNameIsAListenerOfItsTypeWithThatTypesDefaults() {
    List<MqttListenerSettings> l = SettingsLoader.fromString(
        "mqtt.listeners.internal { type = ws, host = 10.0.0.1, x-forwarded-for = true,"
            + " max-connections = 100 }")
        .mqtt().listeners();
    assertEquals(new MqttListenerSettings("internal", Type.WS, "10.0.0.1", 8083, false, "/mqtt",
        true, ClientAuth.NONE, new ConnectionLimits(100, 0, 0)), l.get(1));
  }

  @Test
  void keysAreCheckedAgainstTheListenersType() {
    SettingsException e = fails("mqtt.listeners.tcp.path = /mqtt");
    assertEquals("mqtt.listeners.tcp.path", e.key());
    e = fails("mqtt.listeners.extra { type = tcp, client-auth = required }");
    assertEquals("mqtt.listeners.extra.client-auth", e.key());
    e = fails("mqtt.listeners.extra { port = 1884 }");
    assertEquals("mqtt.listeners.extra.type", e.key());
    assertTrue(e.getMessage().contains("needs a type"), e.getMessage());
    e = fails("mqtt.listeners.extra { type = quic }");
    assertEquals("config error: mqtt.listeners.extra.type = quic is not one of tcp | tls | ws"
        + " | wss (set in config text line 1)", e.getMessage());
  }

  @Test
  void twoListenersOnOnePortAreRefused() {
    SettingsException e = fails("mqtt.listeners.ws { enabled = true, port = 1883 }");
    assertEquals("mqtt.listeners.ws.port", e.key());
    assertTrue(e.getMessage().contains("is also mqtt.listeners.tcp.port"), e.getMessage());
    assertEquals("admin.port", fails("mqtt.listeners.ws { enabled = true, port = 9090 }").key());
    // Distinct specific addresses may share a port.
    SettingsLoader.fromString("mqtt.listeners.tcp.host = 127.0.0.1,"
        + " mqtt.listeners.b { type = tcp, host = 127.0.0.2, port = 1883 }");
    // A disabled listener holds no port.
    SettingsLoader.fromString("mqtt.listeners.tcp.enabled = false, admin.port = 1883");
  }

  @Test
  void theOldTcpKeysPointToTheirNewPlace() {
    SettingsException e = fails("mqtt.tcp.port = 1884");
    assertEquals("mqtt.tcp", e.key());
    assertEquals("config error: mqtt.tcp is now mqtt.listeners.tcp (same keys): write"
        + " mqtt.listeners.tcp.port, or in the environment SIMQTT_MQTT_LISTENERS_TCP_PORT"
        + " (set in config text line 1)", e.getMessage());
    e = assertThrows(SettingsException.class, () -> SettingsLoader.load(
        new String[0], Map.of("SIMQTT_MQTT_TCP_PORT", "1884"), new Properties()));
    assertEquals("config error: environment variable SIMQTT_MQTT_TCP_PORT names mqtt.tcp, which"
        + " is now mqtt.listeners.tcp: use SIMQTT_MQTT_LISTENERS_TCP_PORT", e.getMessage());
  }

  @Test
  void theEnvironmentReachesEveryPredefinedListener() {
    NodeSettings s = SettingsLoader.load(new String[0], Map.of(
        "SIMQTT_MQTT_LISTENERS_WS_ENABLED", "true", "SIMQTT_MQTT_LISTENERS_WS_PORT", "9083"),
        new Properties());
    assertEquals(9083, s.mqtt().listeners().get(1).port());
  }

  @Test
  void tlsListenersNeedTheirFiles(@TempDir Path dir) throws IOException {
    SettingsException e = fails("mqtt.listeners.tls.enabled = true");
    assertEquals("mqtt.tls.cert-file", e.key());
    assertTrue(e.getMessage().contains("is not set but mqtt.listeners.tls (type tls) is enabled"),
        e.getMessage());
    Path pem = Files.writeString(dir.resolve("x.pem"), "");
    String files = "mqtt.tls { cert-file = \"" + pem + "\", key-file = \"" + pem + "\" }\n";
    SettingsLoader.fromString(files + "mqtt.listeners.wss.enabled = true");
    e = fails(files + "mqtt.listeners.wss { enabled = true, client-auth = required }");
    assertEquals("mqtt.tls.ca-file", e.key());
    assertEquals("mqtt.tls.protocols",
        fails(files + "mqtt.tls.protocols = [TLSv1.1]").key());
    assertEquals("mqtt.tls.cert-file", fails("mqtt.tls.cert-file = /no/such.pem").key());
  }
}

package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.session.ClientInfo;
import io.simqtt.core.session.SessionRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * mqtt.sessions.max-session-expiry-v3: MQTT 3.1/3.1.1 sessions with clean session 0 never expire
 * by the spec; the broker gives them this expiry so one-off client ids do not pile up for ever.
 */
class SessionExpiryV3Test {

  private static ClientInfo info(BrokerFixture f, String clientId) throws Exception {
    ClientInfo i = f.broker().sessions().info(clientId).get(5, TimeUnit.SECONDS);
    assertNotNull(i, "no session " + clientId);
    return i;
  }

  private static void connectAndDrop(BrokerFixture f, MqttVersion version, String id) {
    try (RawClient c = RawClient.open(f, version)) {
      c.connect(id, false, 0, null);
      c.subscribe("v3/" + id, 1);
    }
  }

  @Test
  void aCappedPersistentSessionEndsAfterItsClientLeaves() {
    try (BrokerFixture f = BrokerFixture.start("mqtt.sessions.max-session-expiry-v3 = 1s")) {
      SessionRegistry sessions = f.broker().sessions();
      connectAndDrop(f, MqttVersion.MQTT_3_1_1, "one-off");
      connectAndDrop(f, MqttVersion.MQTT_3_1, "one-off-31");
      await(Duration.ofSeconds(5), () -> sessions.size() == 0, "both sessions expired");
      try (RawClient back = RawClient.open(f, MqttVersion.MQTT_3_1_1)) {
        assertFalse(back.connect("one-off", false, 0, null).sessionPresent());
      }
    }
  }

  @Test
  void neverKeepsTheSpecBehaviour() {
    try (BrokerFixture f = BrokerFixture.start("mqtt.sessions.max-session-expiry-v3 = never")) {
      SessionRegistry sessions = f.broker().sessions();
      connectAndDrop(f, MqttVersion.MQTT_3_1_1, "kept");
      // A witness that expires after one second: once it has, the 3.1.1 session had the time.
      try (RawClient v5 = RawClient.open(f, MqttVersion.MQTT_5)) {
        v5.connect("witness", true, 0, RawClient.sessionExpiry(1));
      }
      await(Duration.ofSeconds(5), () -> sessions.get("witness") == null, "witness expired");
      assertTrue(sessions.get("kept") != null, "the 3.1.1 session is still held");
      try (RawClient back = RawClient.open(f, MqttVersion.MQTT_3_1_1)) {
        assertTrue(back.connect("kept", false, 0, null).sessionPresent());
        back.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
      }
    }
  }

  /** The expiry a 3.1.1 persistent session gets: the v3 cap, and max-session-expiry below it. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "''                                                           | 604800",
    "mqtt.sessions.max-session-expiry-v3 = 3600                   | 3600",
    "mqtt.sessions.max-session-expiry-v3 = 12h                    | 43200",
    "mqtt.sessions.max-session-expiry-v3 = 4294967295             | 4294967295",
    "mqtt.sessions.max-session-expiry-v3 = never                  | 4294967295",
    "mqtt.sessions.max-session-expiry = 30                        | 30",
  })
  void persistentSessionsGetTheCap(String conf, long expected) throws Exception {
    try (BrokerFixture f = BrokerFixture.start(conf);
        RawClient c = RawClient.open(f, MqttVersion.MQTT_3_1_1);
        RawClient clean = RawClient.open(f, MqttVersion.MQTT_3_1_1)) {
      c.connect("persistent", false, 0, null);
      assertEquals(expected, info(f, "persistent").sessionExpiry());
      clean.connect("clean", true, 0, null);
      assertEquals(0, info(f, "clean").sessionExpiry());
    }
  }
}

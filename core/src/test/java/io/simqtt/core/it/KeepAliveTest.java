package io.simqtt.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttPacket.Disconnect;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import java.time.Duration;
import java.util.List;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;

/** Keep alive (1.5 x the interval), the CONNECT timeout, and the keep alive cap. */
class KeepAliveTest {
  /** 1.5 s for keep alive 1, plus scheduling slack on a busy machine. */
  private static final Duration KEEP_ALIVE_1_LIMIT = Duration.ofMillis(3000);

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  @Test
  void silentV5ClientGetsKeepAliveTimeout() {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient raw = RawClient.open(f, MqttVersion.MQTT_5)) {
      raw.connect("silent5", true, 1, null);
      long start = System.nanoTime();
      Disconnect d = raw.expect(Disconnect.class, KEEP_ALIVE_1_LIMIT);
      long elapsed = millisSince(start);
      assertEquals(ReasonCode.KEEP_ALIVE_TIMEOUT, d.reasonCode());
      assertTrue(elapsed >= 1300, "cut off after " + elapsed + " ms, before 1.5 x keep alive");
      assertTrue(raw.closedWithin(Duration.ofSeconds(1)), "DISCONNECT is followed by close");
    }
  }

  @Test
  void silentV311ClientIsClosedWithoutDisconnect() {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient raw = RawClient.open(f, MqttVersion.MQTT_3_1_1)) {
      raw.connect("silent311", true, 1, null);
      long start = System.nanoTime();
      assertTrue(raw.closedWithin(KEEP_ALIVE_1_LIMIT));
      long elapsed = millisSince(start);
      assertTrue(elapsed >= 1300, "cut off after " + elapsed + " ms");
      assertEquals(List.of(), raw.pending(), "no DISCONNECT on 3.1.1");
    }
  }

  @Test
  void pingsKeepTheConnectionAlive() {
    try (BrokerFixture f = BrokerFixture.start();
        RawClient raw = RawClient.open(f, MqttVersion.MQTT_5)) {
      raw.connect("pinger", true, 1, null);
      for (int i = 0; i < 5; i++) {
        // 5 x ~500 ms = well past 1.5 s of keep alive.
        assertFalse(raw.closedWithin(Duration.ofMillis(450)), "closed despite pings");
        raw.send(MqttPacket.PingReq.INSTANCE);
        raw.expect(MqttPacket.PingResp.class, Duration.ofSeconds(1));
      }
    }
  }

  @Test
  void serverKeepAliveIsTheOneEnforced() {
    try (BrokerFixture f = BrokerFixture.start("mqtt.limits.max-keep-alive = 1");
        RawClient raw = RawClient.open(f, MqttVersion.MQTT_5)) {
      ConnAck ack = raw.connect("lowered", true, 60, null);
      assertEquals(1, ack.properties().serverKeepAlive);
      Disconnect d = raw.expect(Disconnect.class, KEEP_ALIVE_1_LIMIT);
      assertEquals(ReasonCode.KEEP_ALIVE_TIMEOUT, d.reasonCode());
    }
  }

  @Test
  void socketWithoutConnectIsClosedAfterTheConnectTimeout() {
    try (BrokerFixture f = BrokerFixture.start("mqtt.limits.connect-timeout = 1s");
        RawClient idle = RawClient.open(f, MqttVersion.MQTT_5);
        RawClient partial = RawClient.open(f, MqttVersion.MQTT_5)) {
      long start = System.nanoTime();
      // Half a CONNECT: the fixed header promises more bytes that never come.
      partial.sendRaw(new byte[] {0x10, 0x20, 0x00});
      assertTrue(idle.closedWithin(Duration.ofSeconds(3)), "idle socket closed");
      long elapsed = millisSince(start);
      assertTrue(elapsed >= 800, "closed after " + elapsed + " ms, timeout is 1 s");
      assertTrue(partial.closedWithin(Duration.ofSeconds(1)), "partial CONNECT closed");
      assertEquals(List.of(), idle.pending());
      assertEquals(List.of(), partial.pending());
    }
  }

  @Test
  void v311KeepAliveAboveTheMaximumIsRefused() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.limits.max-keep-alive = 10")) {
      MqttClient tooLong = new MqttClient(f.uri(), "ka-long", new MemoryPersistence());
      MqttConnectOptions o = new MqttConnectOptions();
      o.setKeepAliveInterval(60);
      MqttException e = assertThrows(MqttException.class, () -> tooLong.connect(o));
      assertEquals(MqttException.REASON_CODE_INVALID_CLIENT_ID, e.getReasonCode());
      tooLong.close();

      // Keep alive 0 means "never": also above any maximum.
      try (RawClient raw = RawClient.open(f, MqttVersion.MQTT_3_1_1)) {
        ConnAck ack =
            raw.connect(RawClient.connectPacket(MqttVersion.MQTT_3_1_1, "ka-zero", true, 0, null));
        assertEquals(ReasonCode.CLIENT_IDENTIFIER_NOT_VALID, ack.reasonCode());
        assertTrue(raw.closedWithin(Duration.ofSeconds(3)));
      }

      MqttClient ok = new MqttClient(f.uri(), "ka-ok", new MemoryPersistence());
      MqttConnectOptions within = new MqttConnectOptions();
      within.setKeepAliveInterval(10);
      ok.connect(within);
      assertTrue(ok.isConnected());
      ok.disconnect();
      ok.close();
    }
  }
}

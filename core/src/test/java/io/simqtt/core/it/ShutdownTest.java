package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.hiveBuilder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.lifecycle.MqttDisconnectSource;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import io.simqtt.core.codec.MqttPacket.Disconnect;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Closing the broker tells MQTT 5 clients why. */
class ShutdownTest {

  @Test
  void connectedClientsAreToldTheServerIsShuttingDown() throws Exception {
    BrokerFixture f = BrokerFixture.start();
    CompletableFuture<Throwable> cause = new CompletableFuture<>();
    CompletableFuture<MqttDisconnectSource> source = new CompletableFuture<>();
    Mqtt5BlockingClient hive =
        hiveBuilder(f, "hive")
            .addDisconnectedListener(
                ctx -> {
                  source.complete(ctx.getSource());
                  cause.complete(ctx.getCause());
                })
            .buildBlocking();
    try (RawClient v5 = RawClient.open(f, MqttVersion.MQTT_5);
        RawClient v311 = RawClient.open(f, MqttVersion.MQTT_3_1_1);
        RawClient notConnected = RawClient.open(f, MqttVersion.MQTT_5)) {
      hive.connect();
      v5.connect("raw5", true, 30, null);
      v311.connect("raw311", true, 30, null);

      long start = System.nanoTime();
      f.close();
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertTrue(millis < 2500, "close took " + millis + " ms");

      Disconnect d = v5.expect(Disconnect.class, RawClient.WAIT);
      assertEquals(ReasonCode.SERVER_SHUTTING_DOWN, d.reasonCode());
      assertTrue(v5.closedWithin(Duration.ofSeconds(2)));

      assertTrue(v311.closedWithin(Duration.ofSeconds(2)));
      assertEquals(List.of(), v311.pending(), "3.1.1 has no server DISCONNECT");

      assertTrue(notConnected.closedWithin(Duration.ofSeconds(2)));
      assertEquals(List.of(), notConnected.pending(), "no DISCONNECT before CONNACK");

      Mqtt5DisconnectException e =
          assertInstanceOf(Mqtt5DisconnectException.class, cause.get(5, TimeUnit.SECONDS));
      assertEquals(MqttDisconnectSource.SERVER, source.get(5, TimeUnit.SECONDS));
      assertEquals(
          Mqtt5DisconnectReasonCode.SERVER_SHUTTING_DOWN, e.getMqttMessage().getReasonCode());
    } finally {
      f.close();
    }
  }

  /**
   * [MQTT-3.14.0-1]: no DISCONNECT before a CONNACK. A CONNECT still being checked when the
   * broker stops has had no CONNACK: its connection closes without a packet.
   */
  @Test
  void aConnectStillBeingCheckedGetsNoDisconnect(@TempDir Path dir) throws Exception {
    BrokerFixture f = BrokerFixture.start(HangingAuthPlugin.config(dir));
    try (RawClient pending = RawClient.open(f, MqttVersion.MQTT_5)) {
      HangingAuthPlugin.hang("pending", HangingAuthPlugin.Question.AUTHENTICATE);
      pending.send(RawClient.connectPacket(MqttVersion.MQTT_5, "pending", true, 30, null));
      await("the check hangs", () -> HangingAuthPlugin.hung() == 1);
      f.close();
      pending.expectSilentClose(Duration.ofSeconds(3));
    } finally {
      HangingAuthPlugin.release();
      f.close();
    }
  }
}

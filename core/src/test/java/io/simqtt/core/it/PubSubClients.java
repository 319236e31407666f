package io.simqtt.core.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/** HiveMQ client helpers for the publish/subscribe tests. */
final class PubSubClients {
  static final long WAIT_S = 5;

  private PubSubClients() {}

  /** A connected HiveMQ MQTT 5 client with clean start and session expiry 0. */
  static Mqtt5BlockingClient hive(BrokerFixture f, String id) {
    return hive(f, id, b -> b);
  }

  static Mqtt5BlockingClient hive(
      BrokerFixture f, String id, UnaryOperator<Mqtt5ClientBuilder> customize) {
    Mqtt5BlockingClient c =
        customize
            .apply(Mqtt5Client.builder().identifier(id).serverHost(f.host()).serverPort(f.port()))
            .buildBlocking();
    c.connect();
    return c;
  }

  /** Every publish the client receives, from now on, collected in a queue. */
  static BlockingQueue<Mqtt5Publish> inbox(Mqtt5BlockingClient c) {
    BlockingQueue<Mqtt5Publish> q = new LinkedBlockingQueue<>();
    c.toAsync().publishes(MqttGlobalPublishFilter.ALL, q::add);
    return q;
  }

  static Mqtt5Publish take(BlockingQueue<Mqtt5Publish> q) throws InterruptedException {
    Mqtt5Publish p = q.poll(WAIT_S, TimeUnit.SECONDS);
    assertTrue(p != null, "no message within " + WAIT_S + " s");
    return p;
  }

  static String text(Mqtt5Publish m) {
    return new String(m.getPayloadAsBytes(), StandardCharsets.UTF_8);
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Polls {@code condition} until it holds or {@link #WAIT_S} pass. */
  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      Thread.sleep(5);
    }
  }
}

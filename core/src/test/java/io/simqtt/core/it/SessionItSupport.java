package io.simqtt.core.it;

import static org.junit.jupiter.api.Assertions.fail;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Small helpers shared by the CONNECT / session / will tests. */
final class SessionItSupport {
  private SessionItSupport() {}

  static Mqtt5ClientBuilder hive(BrokerFixture f, String id) {
    Mqtt5ClientBuilder b = Mqtt5Client.builder().serverHost(f.host()).serverPort(f.port());
    return id == null ? b : b.identifier(id);
  }

  static Mqtt5BlockingClient hiveBlocking(BrokerFixture f, String id) {
    return hive(f, id).buildBlocking();
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  static String text(Mqtt5Publish p) {
    return text(p.getPayloadAsBytes());
  }

  /** Waits until {@code condition} holds, failing after {@code timeout}. */
  static void await(Duration timeout, BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out waiting for " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted");
      }
    }
  }

  /** The payloads of every message received until none arrives for {@code quiet}. */
  static List<String> drain(Mqtt5BlockingClient.Mqtt5Publishes publishes, Duration quiet)
      throws InterruptedException {
    List<String> out = new ArrayList<>();
    Optional<Mqtt5Publish> p;
    while ((p = publishes.receive(quiet.toMillis(), TimeUnit.MILLISECONDS)).isPresent()) {
      out.add(text(p.get()));
    }
    return out;
  }

  static Mqtt5Publish receive(Mqtt5BlockingClient.Mqtt5Publishes publishes, Duration timeout)
      throws InterruptedException {
    return publishes
        .receive(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .orElseThrow(() -> new AssertionError("no message within " + timeout));
  }
}

package io.simqtt.core.it;

import static org.junit.jupiter.api.Assertions.fail;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.simqtt.core.codec.MqttPacket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Real-client helpers for the integration tests, shared with peer's tests through core's
 * test-jar: HiveMQ clients, payload text, inboxes with bounded take and drain, bounded waits. Raw
 * sockets are {@link RawClient}; Paho helpers are {@link PahoClients} (core only: peer's tests have
 * no Paho on their classpath, and a class that mentions Paho types fails to load there).
 */
public final class Clients {
  /** Default bound for a message or condition that is expected. */
  public static final Duration WAIT = Duration.ofSeconds(5);

  private Clients() {}

  // ---- HiveMQ clients ----

  /** A HiveMQ MQTT 5 client builder for {@code host:port}; {@code id} null lets the client pick. */
  public static Mqtt5ClientBuilder hiveBuilder(String host, int port, String id) {
    Mqtt5ClientBuilder b = Mqtt5Client.builder().serverHost(host).serverPort(port);
    return id == null ? b : b.identifier(id);
  }

  public static Mqtt5ClientBuilder hiveBuilder(BrokerFixture f, String id) {
    return hiveBuilder(f.host(), f.port(), id);
  }

  /** A blocking HiveMQ client for {@code f}, not connected yet. */
  public static Mqtt5BlockingClient hiveClient(BrokerFixture f, String id) {
    return hiveBuilder(f, id).buildBlocking();
  }

  /** A HiveMQ client from {@code builder}, connected with clean start and session expiry 0. */
  public static Mqtt5BlockingClient hiveConnected(Mqtt5ClientBuilder builder) {
    Mqtt5BlockingClient c = builder.buildBlocking();
    c.connect();
    return c;
  }

  /** A HiveMQ client on {@code f}, connected with clean start and session expiry 0. */
  public static Mqtt5BlockingClient hiveConnected(BrokerFixture f, String id) {
    return hiveConnected(hiveBuilder(f, id));
  }

  public static Mqtt5BlockingClient hiveConnected(
      BrokerFixture f, String id, UnaryOperator<Mqtt5ClientBuilder> customize) {
    return hiveConnected(customize.apply(hiveBuilder(f, id)));
  }

  /** Disconnects if still connected; errors (already gone) are ignored. */
  public static void disconnectQuietly(Mqtt5BlockingClient c) {
    try {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    } catch (RuntimeException ignored) {
      // already gone
    }
  }

  // ---- payloads ----

  public static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  public static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  public static String text(Mqtt5Publish p) {
    return text(p.getPayloadAsBytes());
  }

  public static String text(MqttPacket.Publish p) {
    return text(p.payload());
  }

  // ---- receiving ----

  /** Every publish {@code c} receives from now on, collected in a queue; call before subscribing. */
  public static BlockingQueue<Mqtt5Publish> inbox(Mqtt5BlockingClient c) {
    BlockingQueue<Mqtt5Publish> q = new LinkedBlockingQueue<>();
    c.toAsync().publishes(MqttGlobalPublishFilter.ALL, q::add);
    return q;
  }

  /** The next message, failing after {@link #WAIT}. */
  public static <T> T take(BlockingQueue<T> q) throws InterruptedException {
    return take(q, WAIT);
  }

  /** The next message, failing after {@code timeout}. */
  public static <T> T take(BlockingQueue<T> q, Duration timeout) throws InterruptedException {
    T p = q.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (p == null) {
      fail("no message within " + timeout);
    }
    return p;
  }

  /** Payloads of {@code count} messages, failing if fewer arrive within {@code timeout}. */
  public static List<String> takeN(BlockingQueue<Mqtt5Publish> q, int count, Duration timeout)
      throws InterruptedException {
    List<String> out = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (out.size() < count) {
      long left = deadline - System.nanoTime();
      Mqtt5Publish p = left <= 0 ? null : q.poll(left, TimeUnit.NANOSECONDS);
      if (p == null) {
        fail("got " + out.size() + " of " + count + " messages within " + timeout + ": " + out);
      }
      out.add(text(p));
    }
    return out;
  }

  /** Payloads of what arrives until nothing does for {@code quiet}. */
  public static List<String> drain(BlockingQueue<Mqtt5Publish> q, Duration quiet)
      throws InterruptedException {
    List<String> out = new ArrayList<>();
    Mqtt5Publish p;
    while ((p = q.poll(quiet.toMillis(), TimeUnit.MILLISECONDS)) != null) {
      out.add(text(p));
    }
    return out;
  }

  /** Payloads of what arrives until nothing does for {@code quiet}. */
  public static List<String> drain(Mqtt5BlockingClient.Mqtt5Publishes publishes, Duration quiet)
      throws InterruptedException {
    List<String> out = new ArrayList<>();
    Optional<Mqtt5Publish> p;
    while ((p = publishes.receive(quiet.toMillis(), TimeUnit.MILLISECONDS)).isPresent()) {
      out.add(text(p.get()));
    }
    return out;
  }

  /** The next message, failing after {@code timeout}. */
  public static Mqtt5Publish receive(Mqtt5BlockingClient.Mqtt5Publishes publishes, Duration timeout)
      throws InterruptedException {
    return publishes
        .receive(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .orElseThrow(() -> new AssertionError("no message within " + timeout));
  }

  // ---- waiting ----

  /** Polls {@code condition} until it holds; fails after {@link #WAIT}. */
  public static void await(String what, BooleanSupplier condition) {
    await(WAIT, condition, () -> what);
  }

  /** Polls {@code condition} until it holds; fails after {@code timeout}. */
  public static void await(Duration timeout, BooleanSupplier condition, String what) {
    await(timeout, condition, () -> what);
  }

  /** Polls {@code condition} every 5 ms until it holds; fails after {@code timeout}. */
  public static void await(Duration timeout, BooleanSupplier condition, Supplier<String> what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out after " + timeout + " waiting for " + what.get());
      }
      sleep(5, what);
    }
  }

  /** Waits until {@code value} reads {@code expected}; fails after {@code bound}, saying the last. */
  public static void awaitValue(long expected, LongSupplier value, Duration bound, String what) {
    long deadline = System.nanoTime() + bound.toNanos();
    long v;
    while ((v = value.getAsLong()) != expected) {
      if (System.nanoTime() > deadline) {
        fail(what + ": expected " + expected + " but was " + v + " after " + bound);
      }
      sleep(10, () -> what);
    }
  }

  private static void sleep(long millis, Supplier<String> what) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail("interrupted waiting for " + what.get());
    }
  }
}

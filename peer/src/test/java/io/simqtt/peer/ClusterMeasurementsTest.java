package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import io.simqtt.core.it.Clients;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The figures the cluster issue asks for, measured in one run on one machine: same-node vs
 * cross-node QoS 1 throughput and latency, route convergence after a peer restarts, cross-node
 * takeover latency. Long: run with {@code mvn -Plong -pl peer -am test
 * -Dtest=ClusterMeasurementsTest -Dsurefire.failIfNoSpecifiedTests=false}; figures are printed.
 */
@Tag("long")
class ClusterMeasurementsTest {
  private static final int MESSAGES = 20_000;
  private static final int WINDOW = 200;
  private static final int STEADY_RATE = 2_000;

  @Test
  void measure() throws Exception {
    try (ClusterFixture f = ClusterFixture.start(3)) {
      f.awaitLinksUp(ClusterFixture.WAIT);
      flow(f, 0, 1, "warm", MESSAGES / 4, 0);
      Result same = flow(f, 0, 0, "same", MESSAGES, 0);
      Result cross = flow(f, 0, 1, "cross", MESSAGES, 0);
      Result sameSteady = flow(f, 0, 0, "same-steady", STEADY_RATE * 5, STEADY_RATE);
      Result crossSteady = flow(f, 0, 1, "cross-steady", STEADY_RATE * 5, STEADY_RATE);
      System.out.printf(
          "cluster-measure saturated QoS 1, window %d: same-node %s | cross-node %s%n"
              + "cluster-measure steady %d QoS 1 msg/s: same-node %s | cross-node %s%n",
          WINDOW, same, cross, STEADY_RATE, sameSteady, crossSteady);

      long convergeMs = routeConvergenceAfterRestart(f);
      System.out.printf("cluster-measure route convergence after restart: %d ms%n", convergeMs);

      long[] takeover = takeoverLatencies(f, 20);
      System.out.printf(
          "cluster-measure cross-node takeover CONNECT->CONNACK: p50 %d us, max %d us%n",
          takeover[takeover.length / 2], takeover[takeover.length - 1]);
    }
  }

  record Result(double msgsPerSecond, long p50Micros, long p99Micros) {
    @Override
    public String toString() {
      return String.format("%.0f msg/s, p50 %d us, p99 %d us", msgsPerSecond, p50Micros, p99Micros);
    }
  }

  /**
   * QoS 1 from a publisher on node {@code from} to a subscriber on node {@code to}, as fast as
   * the in-flight window allows ({@code rate} 0) or paced at {@code rate} messages per second.
   */
  private static Result flow(ClusterFixture f, int from, int to, String tag, int count, int rate)
      throws Exception {
    String topic = "m/" + tag;
    Mqtt5BlockingClient sub = f.hive(to, "m-sub-" + tag).buildBlocking();
    sub.connect();
    long[] latencies = new long[count];
    AtomicInteger received = new AtomicInteger();
    CountDownLatch all = new CountDownLatch(count);
    sub.toAsync()
        .publishes(
            MqttGlobalPublishFilter.ALL,
            p -> {
              long sent = ByteBuffer.wrap(p.getPayloadAsBytes()).getLong();
              int i = received.getAndIncrement();
              if (i < count) {
                latencies[i] = (System.nanoTime() - sent) / 1000;
              }
              all.countDown();
            });
    sub.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();
    f.awaitRouteEverywhere(topic, to);
    Mqtt5AsyncClient pub = f.hive(from, "m-pub-" + tag).buildAsync();
    pub.connect().get(5, TimeUnit.SECONDS);
    Semaphore window = new Semaphore(WINDOW);
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      if (rate > 0) {
        long due = start + i * 1_000_000_000L / rate;
        while (System.nanoTime() < due) {
          Thread.onSpinWait();
        }
      }
      window.acquire();
      byte[] payload = ByteBuffer.allocate(64).putLong(System.nanoTime()).array();
      CompletableFuture<Mqtt5PublishResult> ack =
          pub.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
      ack.whenComplete((r, e) -> window.release());
    }
    assertTrue(all.await(60, TimeUnit.SECONDS), tag + ": all delivered");
    double seconds = (System.nanoTime() - start) / 1e9;
    assertEquals(count, received.get(), tag + ": no duplicates");
    pub.disconnect().get(5, TimeUnit.SECONDS);
    sub.disconnect();
    Arrays.sort(latencies);
    return new Result(
        count / seconds, latencies[count / 2], latencies[(int) (count * 0.99)]);
  }

  /**
   * Node 2 restarts; a client subscribes on it; how long until nodes 1 and 3 route to it,
   * counted from the restart.
   */
  private static long routeConvergenceAfterRestart(ClusterFixture f) throws Exception {
    f.stop(1);
    long start = System.nanoTime();
    f.restart(1);
    Mqtt5BlockingClient sub = f.hive(1, "m-conv").buildBlocking();
    sub.connect();
    sub.subscribeWith().topicFilter("conv/t").qos(MqttQos.AT_LEAST_ONCE).send();
    f.awaitRoute(0, "conv/t", 1);
    f.awaitRoute(2, "conv/t", 1);
    long ms = (System.nanoTime() - start) / 1_000_000;
    sub.disconnect();
    f.awaitLinksUp(ClusterFixture.WAIT);
    return ms;
  }

  /** A persistent session on node 1 taken over from node 2, repeatedly. */
  private static long[] takeoverLatencies(ClusterFixture f, int rounds) throws Exception {
    List<Long> micros = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      int from = r % 2 == 0 ? 0 : 1;
      int to = 1 - from;
      Mqtt5BlockingClient first =
          f.hive(from, "m-tk").buildBlocking();
      first.connectWith().cleanStart(r == 0).sessionExpiryInterval(300).send();
      if (r == 0) {
        first.subscribeWith().topicFilter("tk/#").qos(MqttQos.AT_LEAST_ONCE).send();
      }
      Mqtt5BlockingClient second = f.hive(to, "m-tk").buildBlocking();
      long start = System.nanoTime();
      Mqtt5ConnAck ack = second.connectWith().cleanStart(false).sessionExpiryInterval(300).send();
      micros.add((System.nanoTime() - start) / 1000);
      assertTrue(ack.isSessionPresent(), "the session moved");
      second.disconnect();
      Clients.disconnectQuietly(first);
      Thread.sleep(Duration.ofMillis(50).toMillis());
    }
    long[] sorted = micros.stream().mapToLong(Long::longValue).sorted().toArray();
    return sorted;
  }
}

package io.simqtt.peer;

import static io.simqtt.core.it.Clients.bytes;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import io.simqtt.core.it.Clients;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A QoS 1 (or QoS 2) publisher of numbered messages ({@code "<name>-<seq>"}, seq from 0) at a paced rate,
 * bounded in count, time and messages in flight. It records which numbers the broker
 * acknowledged: a PUBACK (QoS 2: a PUBCOMP after a PUBREC) whose reason code is not an error (0x00,
 * or 0x10 "no matching subscribers", which still means the broker took the message). Those are
 * the messages a subscriber must get; the rest (errors, no answer) are not counted.
 */
final class NumberedPublisher {
  /** Unacknowledged publishes at most; the loop waits (bounded) beyond it. */
  private static final int MAX_IN_FLIGHT = 500;

  private final String name;
  private final String topic;
  private final Mqtt5AsyncClient client;
  private final MqttQos qos;
  private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
  private final Set<Integer> acked = ConcurrentHashMap.newKeySet();
  private final Map<String, Integer> outcomes = new ConcurrentHashMap<>();
  private final AtomicInteger sent = new AtomicInteger();
  private volatile boolean stop;
  private Thread loop;

  private NumberedPublisher(String name, String topic, Mqtt5AsyncClient client, MqttQos qos) {
    this.name = name;
    this.topic = topic;
    this.client = client;
    this.qos = qos;
  }

  /**
   * Connects (clean start, session expiry 0; reconnecting by itself if the connection drops) to
   * {@code host:port} as client {@code name}.
   */
  static NumberedPublisher connect(String name, String host, int port, String topic) {
    return connect(name, host, port, topic, MqttQos.AT_LEAST_ONCE);
  }

  /** {@link #connect(String, String, int, String)} publishing at {@code qos} (1 or 2). */
  static NumberedPublisher connect(
      String name, String host, int port, String topic, MqttQos qos) {
    Mqtt5AsyncClient c =
        Clients.hiveBuilder(host, port, name).automaticReconnectWithDefaultConfig().buildAsync();
    c.connect().orTimeout(10, TimeUnit.SECONDS).join();
    return new NumberedPublisher(name, topic, c, qos);
  }

  String name() {
    return name;
  }

  /** Payload of message {@code seq} of publisher {@code name}. */
  static String payload(String name, int seq) {
    return name + "-" + seq;
  }

  /** Starts publishing {@code perSecond} messages a second, at most {@code max} or for {@code duration}. */
  NumberedPublisher start(int perSecond, int max, Duration duration) {
    long pauseNanos = TimeUnit.SECONDS.toNanos(1) / perSecond;
    long deadline = System.nanoTime() + duration.toNanos();
    loop = new Thread(() -> {
      long next = System.nanoTime();
      for (int seq = 0; seq < max && !stop && System.nanoTime() < deadline; ) {
        try {
          if (!inFlight.tryAcquire(100, TimeUnit.MILLISECONDS)) {
            continue; // the node is not answering: wait, but keep checking stop and deadline
          }
          publish(seq++);
          next += pauseNanos;
          long wait = next - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait); // pacing, not synchronisation
          } else if (wait < -TimeUnit.SECONDS.toNanos(1)) {
            next = System.nanoTime(); // after a stall: go on at the rate, do not burst
          }
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "publisher-" + name);
    loop.setDaemon(true);
    loop.start();
    return this;
  }

  private void publish(int seq) {
    sent.incrementAndGet();
    client.publishWith().topic(topic).qos(qos).payload(bytes(payload(name, seq)))
        .send()
        .whenComplete((result, error) -> {
          outcomes.merge(outcome(result, error), 1, Integer::sum);
          if (error == null && result.getError().isEmpty()) {
            acked.add(seq);
          }
          // last: stop() returns once every permit is back, and the checker then reads acked
          inFlight.release();
        });
  }

  private static String outcome(Mqtt5PublishResult result, Throwable error) {
    if (error != null) {
      return "error " + error.getClass().getSimpleName();
    }
    if (result instanceof Mqtt5PublishResult.Mqtt5Qos1Result q1) {
      Mqtt5PubAckReasonCode rc = q1.getPubAck().getReasonCode();
      return "PUBACK 0x" + Integer.toHexString(rc.getCode()) + " " + rc;
    }
    if (result instanceof Mqtt5PublishResult.Mqtt5Qos2CompleteResult q2) {
      return "PUBCOMP 0x" + Integer.toHexString(q2.getPubComp().getReasonCode().getCode());
    }
    return result.getError().map(t -> "error " + t.getClass().getSimpleName()).orElse("?");
  }

  /** Stops publishing and waits up to {@code bound} for the answers still outstanding. */
  void stop(Duration bound) throws InterruptedException {
    stop = true;
    if (loop != null) {
      loop.join(bound.toMillis());
    }
    if (inFlight.tryAcquire(MAX_IN_FLIGHT, bound.toMillis(), TimeUnit.MILLISECONDS)) {
      inFlight.release(MAX_IN_FLIGHT);
    }
  }

  /** Stops (see {@link #stop}) and disconnects. */
  void close(Duration bound) throws InterruptedException {
    stop(bound);
    try {
      client.disconnect().get(5, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // already gone
    }
  }

  int sent() {
    return sent.get();
  }

  /** Numbers the broker acknowledged. */
  Set<Integer> acked() {
    return Set.copyOf(acked);
  }

  /** Answers by kind ("PUBACK 0x0 SUCCESS", "PUBACK 0x10 NO_MATCHING_SUBSCRIBERS", errors). */
  Map<String, Integer> outcomes() {
    return new TreeMap<>(outcomes);
  }

  /** Still unanswered. */
  int outstanding() {
    return MAX_IN_FLIGHT - inFlight.availablePermits();
  }
}

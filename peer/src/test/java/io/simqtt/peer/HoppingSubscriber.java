package io.simqtt.peer;

import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttPacket.Disconnect;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.Clients;
import io.simqtt.core.it.RawClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntUnaryOperator;

/**
 * A persistent QoS 1 subscriber on its own thread: clean start and SUBSCRIBE once, then clean
 * start 0 on every connect; a node picked at random. It acknowledges every message at once.
 * While {@link #hopping} it moves every so often, leaving one of three ways: DISCONNECT, a reset
 * (no DISCONNECT, like a lost network), or connecting elsewhere first (a takeover). A CONNECT
 * a frozen node does not answer is given up after {@link #CONNACK_WAIT} for another node.
 * Given Session Present 0 after its first connect it counts it and subscribes again, as a
 * real client must.
 */
final class HoppingSubscriber extends Thread {
  /** A CONNECT not answered in this long (a frozen node) is given up for another node. */
  static final Duration CONNACK_WAIT = Duration.ofSeconds(10);
  private static final long SESSION_EXPIRY = 3600;

  final String id;
  private final String filter;
  private final IntUnaryOperator mqttPort;
  private final int nodes;
  private final Random random;
  private final long minStayMillis;
  private final long maxStayMillis;
  private final AtomicLong lastDeliveryNanos;
  final Receipts receipts = new Receipts();
  final Receipts probes = new Receipts();
  final AtomicInteger connects = new AtomicInteger();
  final AtomicInteger sessionPresentZero = new AtomicInteger();
  final AtomicInteger dropped = new AtomicInteger();
  final AtomicLong slowestConnAckMillis = new AtomicLong();
  final Map<String, Integer> outcomes = new ConcurrentHashMap<>();
  final List<String> problems = Collections.synchronizedList(new ArrayList<>());
  /** The node of the first connect; -1: a random one. */
  volatile int home = -1;
  volatile boolean subscribed;
  volatile boolean hopping;
  private volatile boolean stopped;
  private RawClient current;
  private int currentNode = -1;

  /**
   * Subscriber {@code id} to {@code filter} on nodes 0..{@code nodes}-1, node i at 127.0.0.1
   * port {@code mqttPort(i)}, staying {@code minStay} to {@code maxStay} on a node while
   * hopping; every delivery sets {@code lastDeliveryNanos}.
   */
  HoppingSubscriber(String id, String filter, IntUnaryOperator mqttPort, int nodes,
      Random random, Duration minStay, Duration maxStay, AtomicLong lastDeliveryNanos) {
    super("subscriber-" + id);
    setDaemon(true);
    this.id = id;
    this.filter = filter;
    this.mqttPort = mqttPort;
    this.nodes = nodes;
    this.random = random;
    this.minStayMillis = minStay.toMillis();
    this.maxStayMillis = maxStay.toMillis();
    this.lastDeliveryNanos = lastDeliveryNanos;
  }

  /** Its figures, for a report line. */
  String summary() {
    return id + ": delivered " + receipts.total() + ", duplicates " + receipts.duplicates()
        + ", connects " + connects.get() + ", SP=0 " + sessionPresentZero.get()
        + ", slowest CONNACK " + slowestConnAckMillis.get() + " ms, outcomes "
        + new TreeMap<>(outcomes) + ", dropped by the broker " + dropped.get();
  }

  void finish() throws InterruptedException {
    stopped = true;
    join(15_000);
  }

  @Override
  public void run() {
    try {
      while (!stopped) {
        if (current == null) {
          connectSomewhere(-1);
          continue;
        }
        boolean hop = hopping;
        long stay = hop ? minStayMillis + random.nextLong(maxStayMillis - minStayMillis + 1) : 200;
        if (!readAndAck(current, stay)) {
          dropped.incrementAndGet();
          current.close();
          current = null;
        } else if (hop && hopping && !stopped) {
          hop();
        }
      }
    } catch (RuntimeException | AssertionError e) {
      problems.add(id + " failed: " + e);
    } finally {
      if (current != null) {
        current.close();
      }
    }
  }

  private void hop() {
    RawClient old = current;
    current = null;
    switch (random.nextInt(3)) {
      case 0 -> {
        try {
          old.disconnect(ReasonCode.NORMAL_DISCONNECTION, null);
        } catch (RuntimeException gone) {
          // the node closed it meanwhile
        }
        recordUntilClosed(old);
        connectSomewhere(currentNode);
      }
      case 1 -> {
        old.abort();
        connectSomewhere(currentNode);
      }
      default -> {
        connectSomewhere(currentNode);
        recordUntilClosed(old); // told 0x8E by its node, unless that node is frozen
      }
    }
  }

  /** Connects to a random node other than {@code avoid} (-1: any), until one accepts. */
  private void connectSomewhere(int avoid) {
    while (!stopped) {
      int node = home >= 0 && !subscribed ? home : random.nextInt(nodes);
      if (node == avoid) {
        node = (node + 1 + random.nextInt(nodes - 1)) % nodes;
      }
      RawClient c;
      try {
        c = RawClient.open(ClusterFixture.HOST, mqttPort.applyAsInt(node), MqttVersion.MQTT_5);
      } catch (RuntimeException e) {
        outcomes.merge("no TCP connection", 1, Integer::sum);
        continue;
      }
      boolean first = !subscribed;
      long t0 = System.nanoTime();
      MqttPacket p;
      try {
        c.send(RawClient.connectPacket(
            MqttVersion.MQTT_5, id, first, 60, RawClient.sessionExpiry(SESSION_EXPIRY)));
        p = c.read(CONNACK_WAIT);
      } catch (RuntimeException e) {
        p = null;
      }
      if (!(p instanceof ConnAck ack)) {
        outcomes.merge(p == null ? "no CONNACK in " + CONNACK_WAIT.toSeconds() + " s"
            : "not a CONNACK", 1, Integer::sum);
        System.out.println(Instant.now() + " " + id + ": no CONNACK from "
            + ClusterFixture.nodeId(node) + " (sent at " + Instant.now().minusNanos(
                System.nanoTime() - t0) + ")");
        c.abort();
        continue;
      }
      if (ack.reasonCode() != ReasonCode.SUCCESS) {
        outcomes.merge("refused " + RawClient.hex(ack.reasonCode()), 1, Integer::sum);
        c.close();
        pause(200);
        continue;
      }
      connects.incrementAndGet();
      slowestConnAckMillis.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
      outcomes.merge("0x00 SP=" + (ack.sessionPresent() ? 1 : 0), 1, Integer::sum);
      try {
        if (first || !ack.sessionPresent()) {
          if (!first) {
            sessionPresentZero.incrementAndGet(); // the bug this run looks for
            problems.add(id + ": Session Present 0 from " + ClusterFixture.nodeId(node) + " at "
                + Instant.now());
          }
          c.subscribe(filter, 1);
          subscribed = true;
        }
      } catch (RuntimeException | AssertionError e) {
        outcomes.merge("SUBSCRIBE failed", 1, Integer::sum);
        c.close();
        continue;
      }
      current = c;
      currentNode = node;
      return;
    }
  }

  /**
   * Reads for {@code millis}, acknowledging and recording every PUBLISH; false when the broker
   * closed the connection or told it to go (DISCONNECT).
   */
  private boolean readAndAck(RawClient c, long millis) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    for (long left; (left = deadline - System.nanoTime()) > 0 && !stopped; ) {
      MqttPacket p = c.read(Duration.ofNanos(Math.min(left, 200_000_000L)));
      if (p instanceof Publish pub) {
        record(pub);
        if (pub.qos() > 0) {
          try {
            c.puback(pub.packetId());
          } catch (RuntimeException closed) {
            return false;
          }
        }
      } else if (p instanceof Disconnect d) {
        outcomes.merge("DISCONNECT " + RawClient.hex(d.reasonCode()), 1, Integer::sum);
        return false;
      } else if (p != null) {
        problems.add(id + ": unexpected " + p);
      } else if (c.isClosed()) {
        return false;
      }
    }
    return true;
  }

  /** Records what an abandoned connection got before its node closed it (bounded). */
  private void recordUntilClosed(RawClient c) {
    try {
      for (MqttPacket p : c.expectClosed(RawClient.WAIT)) {
        if (p instanceof Publish pub) {
          record(pub);
        }
      }
    } catch (AssertionError frozenNode) {
      // its node did not close it in time (frozen): the broker re-sends what was unacknowledged
    } finally {
      c.abort();
    }
  }

  private void record(Publish pub) {
    String payload = Clients.text(pub);
    (payload.startsWith("probe-") ? probes : receipts).add(payload);
    lastDeliveryNanos.set(System.nanoTime());
  }

  private void pause(long millis) {
    try {
      Thread.sleep(millis); // pacing a retry after a refusal, not synchronisation
    } catch (InterruptedException e) {
      stopped = true;
    }
  }
}

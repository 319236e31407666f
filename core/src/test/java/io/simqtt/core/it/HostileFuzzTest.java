package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.awaitValue;
import static io.simqtt.core.it.HostileWire.assertServesRealClient;
import static io.simqtt.core.it.RawClient.encode;
import static io.simqtt.core.it.RawClient.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.PacketType;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.codec.UserProperty;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Seeded random hostile traffic: every connection sends a valid CONNECT, then valid packets mixed
 * with mutated encodings of real packets (bytes flipped, cut short, lengths changed, junk). The
 * broker must answer or close each connection within a bound, send only well-formed packets, leak
 * no buffer (Netty's leak detector at PARANOID), and still serve a real client with no connection
 * left open afterwards.
 *
 * <p>One fixed seed always runs; a second, random seed is printed so a failure can be replayed by
 * putting it in {@link #FIXED_SEED}.
 */
class HostileFuzzTest {
  private static final long FIXED_SEED = 0x5EED_0001L;
  private static final int CONNECTIONS_PER_SEED = 150;
  private static final int THREADS = 8;
  private static final Duration ANSWER_BOUND = Duration.ofSeconds(5);
  private static final List<String> TOPICS =
      List.of("fuzz/a", "fuzz/b/c", "fuzz/ü", "fuzz/a/b/c/d", "x");

  /** Error DISCONNECTs seen, to show the mutations reach the broker's error paths at all. */
  private static final AtomicInteger errorDisconnects = new AtomicInteger();

  private LeakWatch leaks;

  @BeforeEach
  void paranoidLeakDetection() throws InterruptedException {
    leaks = LeakWatch.start();
  }

  @AfterEach
  void restore() {
    leaks.close();
  }

  @Test
  void randomHostileTrafficIsAnsweredOrClosedAndLeaksNothing() throws Exception {
    long randomSeed = ThreadLocalRandom.current().nextLong();
    System.out.println("HostileFuzzTest seeds: fixed=" + FIXED_SEED + " random=" + randomSeed);
    try (BrokerFixture f = BrokerFixture.start("mqtt.limits.connect-timeout = 2s")) {
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      try {
        List<Future<String>> results = new ArrayList<>();
        for (long seed : new long[] {FIXED_SEED, randomSeed}) {
          // Per-connection seeds drawn from the run's seed: nearby seeds would give
          // java.util.Random nearly the same first values (every connection the same version).
          Random seeds = new Random(seed);
          for (int i = 0; i < CONNECTIONS_PER_SEED; i++) {
            long connSeed = seeds.nextLong();
            results.add(pool.submit(() -> oneConnection(f.port(), connSeed)));
          }
        }
        List<String> problems = new ArrayList<>();
        for (Future<String> r : results) {
          String problem = r.get(60, TimeUnit.SECONDS);
          if (problem != null) {
            problems.add(problem);
          }
        }
        assertTrue(
            problems.isEmpty(),
            () -> problems.size() + " connection(s) misbehaved (seeds " + FIXED_SEED + ", "
                + randomSeed + "):\n" + String.join("\n", problems.subList(0, Math.min(10, problems.size()))));
      } finally {
        pool.shutdownNow();
      }
      assertTrue(errorDisconnects.get() > 0, "no mutation was answered with an error DISCONNECT");
      assertServesRealClient(f);
      awaitValue(
          0, f.broker().metrics()::currentConnections, Duration.ofSeconds(10),
          "current connections");
    }

    assertEquals(
        List.of(), leaks.reports(Duration.ofSeconds(2)),
        "Netty reported leaks (seed " + randomSeed + ")");
  }

  /** Runs one connection; returns a description of what went wrong, or null. */
  private static String oneConnection(int port, long seed) {
    Random rnd = new Random(seed);
    MqttVersion v = rnd.nextBoolean() ? MqttVersion.MQTT_5 : MqttVersion.MQTT_3_1_1;
    // Some connections keep their socket open and rely on the broker to end a stalled packet
    // (keep alive 1 s); the rest half-close their side after sending.
    boolean waitForBroker = rnd.nextInt(5) == 0;
    List<String> sent = new ArrayList<>();
    try (RawClient w = HostileWire.connected("127.0.0.1", port, v, waitForBroker ? 1 : 30)) {
      int n = 1 + rnd.nextInt(8);
      for (int i = 0; i < n; i++) {
        byte[] valid = encode(validPacket(rnd, v), v);
        byte[] out = rnd.nextInt(3) == 0 ? valid : mutate(rnd, valid);
        sent.add(out == valid ? "valid" : "mutated");
        try {
          w.sendRaw(out);
        } catch (java.io.UncheckedIOException e) {
          break; // the broker already closed: fine
        }
      }
      try {
        w.sendRaw(encode(MqttPacket.PingReq.INSTANCE, v));
        if (!waitForBroker) {
          w.shutdownOutput();
        }
      } catch (java.io.UncheckedIOException e) {
        // already closed by the broker
      }
      // A packet from the broker that does not decode fails the read (RawClient), and so this
      // connection, with the seed.
      List<MqttPacket> answers;
      if (waitForBroker) {
        answers = new ArrayList<>();
        while (true) {
          MqttPacket o = w.read(ANSWER_BOUND);
          if (o == null) {
            assertTrue(
                w.isClosed(), "broker neither answered nor closed within " + ANSWER_BOUND);
            break;
          }
          if (o instanceof MqttPacket.PingResp) {
            break;
          }
          answers.add(o);
        }
      } else {
        answers = w.expectClosed(ANSWER_BOUND);
      }
      for (MqttPacket o : answers) {
        if (o instanceof MqttPacket.Disconnect d) {
          if (!ReasonCode.isError(d.reasonCode())) {
            return "seed " + seed + ": DISCONNECT " + hex(d.reasonCode()) + " is not an error";
          }
          errorDisconnects.incrementAndGet();
        }
      }
      return null;
    } catch (Throwable t) {
      return "seed " + seed + " " + v + " " + sent + ": " + t;
    }
  }

  private static MqttPacket validPacket(Random rnd, MqttVersion v) {
    int id = 1 + rnd.nextInt(65535);
    String topic = TOPICS.get(rnd.nextInt(TOPICS.size()));
    MqttProperties p = MqttProperties.empty();
    switch (rnd.nextInt(7)) {
      case 0, 1 -> {
        int qos = rnd.nextInt(3);
        if (v.isV5() && rnd.nextBoolean()) {
          p.messageExpiryInterval = (long) rnd.nextInt(100);
          p.userProperties.add(new UserProperty("k", "v" + rnd.nextInt(9)));
        }
        byte[] payload = new byte[rnd.nextInt(64)];
        rnd.nextBytes(payload);
        return new MqttPacket.Publish(
            topic, qos, rnd.nextInt(8) == 0, false, qos == 0 ? 0 : id, payload, p);
      }
      case 2 -> {
        String filter = rnd.nextBoolean() ? "fuzz/#" : topic;
        return new MqttPacket.Subscribe(
            id, List.of(new MqttPacket.Subscription(filter, rnd.nextInt(3), false, false, 0)), p);
      }
      case 3 -> {
        return new MqttPacket.Unsubscribe(id, List.of(topic), p);
      }
      case 4 -> {
        return MqttPacket.PingReq.INSTANCE;
      }
      default -> {
        PacketType[] acks = {
          PacketType.PUBACK, PacketType.PUBREC, PacketType.PUBREL, PacketType.PUBCOMP
        };
        return new MqttPacket.PubResponse(
            acks[rnd.nextInt(acks.length)], id, ReasonCode.SUCCESS, p);
      }
    }
  }

  private static byte[] mutate(Random rnd, byte[] p) {
    byte[] m = p.clone();
    switch (rnd.nextInt(6)) {
      case 0 -> {
        int flips = 1 + rnd.nextInt(3);
        for (int i = 0; i < flips; i++) {
          m[rnd.nextInt(m.length)] ^= (byte) (1 + rnd.nextInt(255));
        }
      }
      case 1 -> m = Arrays.copyOf(m, Math.max(1, rnd.nextInt(m.length)));
      case 2 -> m[1] = (byte) rnd.nextInt(256); // first byte of the Remaining Length
      case 3 -> {
        int at = rnd.nextInt(m.length + 1);
        byte[] g = new byte[m.length + 1];
        System.arraycopy(m, 0, g, 0, at);
        g[at] = (byte) rnd.nextInt(256);
        System.arraycopy(m, at, g, at + 1, m.length - at);
        m = g;
      }
      case 4 -> m[0] = (byte) ((m[0] & 0xF0) | rnd.nextInt(16)); // fixed-header flags
      default -> {
        m = new byte[1 + rnd.nextInt(20)];
        rnd.nextBytes(m);
      }
    }
    return m;
  }
}

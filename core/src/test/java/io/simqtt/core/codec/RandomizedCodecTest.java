package io.simqtt.core.codec;

import static io.simqtt.core.codec.PacketAssert.assertPacketEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded property tests: random valid packets round-trip, and random or mutated input never
 * escapes the decoder as an exception, never yields more than one failure and never leaks. Each
 * runs with a fixed seed and a fresh one; a failure names the seed to replay.
 */
class RandomizedCodecTest {
  private static final long FIXED_SEED = 0x5EED_C0DECL;
  private static final MqttVersion[] VERSIONS = MqttVersion.values();
  private static ResourceLeakDetector.Level previousLevel;

  @BeforeAll
  static void paranoid() {
    previousLevel = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
  }

  @AfterAll
  static void restore() {
    ResourceLeakDetector.setLevel(previousLevel);
  }

  static long[] seeds() {
    long fresh = new Random().nextLong();
    System.out.println("RandomizedCodecTest fresh seed: " + fresh);
    return new long[] {FIXED_SEED, fresh};
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void randomValidPacketsRoundTrip(long seed) {
    Random rnd = new Random(seed);
    RandomPackets gen = new RandomPackets(rnd);
    for (int i = 0; i < 400; i++) {
      MqttVersion v = VERSIONS[rnd.nextInt(VERSIONS.length)];
      List<MqttPacket> packets = new ArrayList<>();
      packets.add(gen.connect(v));
      for (int n = rnd.nextInt(10); n > 0; n--) {
        packets.add(gen.next(v));
      }
      byte[] stream = encodeAll(packets, v);
      List<Object> out;
      try {
        out = feed(i, MqttDecoder.forServer(1 << 20), rnd.nextBoolean(), chop(stream, rnd));
        assertEquals(packets.size(), out.size(), "decoded " + out);
        for (int k = 0; k < packets.size(); k++) {
          assertPacketEquals(packets.get(k), out.get(k));
        }
      } catch (AssertionError e) {
        throw new AssertionError("seed " + seed + " iteration " + i + " " + v + ": " + e.getMessage(), e);
      }
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void garbageAndMutationsNeverEscapeTheDecoder(long seed) {
    Random rnd = new Random(seed);
    RandomPackets gen = new RandomPackets(rnd);
    int failures = 0;
    for (int i = 0; i < 4_000; i++) {
      MqttVersion v = VERSIONS[rnd.nextInt(VERSIONS.length)];
      boolean server = rnd.nextBoolean();
      byte[] input;
      if (rnd.nextInt(10) == 0) {
        input = gen.bytes(64);
      } else {
        List<MqttPacket> packets = new ArrayList<>();
        if (server) {
          packets.add(gen.connect(v));
        }
        for (int n = 1 + rnd.nextInt(3); n > 0; n--) {
          packets.add(gen.next(v));
        }
        input = mutate(encodeAll(packets, v), rnd);
      }
      int limit = rnd.nextInt(4) == 0 ? 2 + rnd.nextInt(64) : 1 << 16;
      MqttDecoder decoder = server ? MqttDecoder.forServer(limit) : MqttDecoder.forClient(v, limit);
      List<Object> out;
      try {
        out = feed(i, decoder, rnd.nextBoolean(), chop(input, rnd));
      } catch (RuntimeException e) {
        throw new AssertionError("seed " + seed + " iteration " + i + ": decoder threw on " + Wire.hex(input), e);
      }
      for (int k = 0; k < out.size(); k++) {
        Object o = out.get(k);
        if (o instanceof DecodeFailure f) {
          failures++;
          assertEquals(out.size() - 1, k, "output after a DecodeFailure, seed " + seed + ": " + out);
          assertTrue(
              f.reasonCode() == ReasonCode.MALFORMED_PACKET
                  || f.reasonCode() == ReasonCode.PROTOCOL_ERROR
                  || f.reasonCode() == ReasonCode.PACKET_TOO_LARGE
                  || f.reasonCode() == ReasonCode.UNSUPPORTED_PROTOCOL_VERSION,
              f.toString());
          assertTrue(!f.message().startsWith("undecodable"), "decoder bug surfaced: " + f + " on " + Wire.hex(input));
        } else {
          assertReencodes(assertInstanceOf(MqttPacket.class, o), decoder.version(), seed);
        }
      }
    }
    assertTrue(failures > 400, "mutations too gentle: only " + failures + " failures");
  }

  /**
   * Every 20th input goes through a real channel, where the leak detector and the input's
   * reference count watch the buffers; the rest call the decoder directly, which is far cheaper.
   */
  private static List<Object> feed(int iteration, MqttDecoder d, boolean direct, byte[][] chunks) {
    return iteration % 20 == 0 ? Wire.feed(d, direct, chunks) : Wire.feedDirect(d, direct, chunks);
  }

  /** Whatever was accepted must survive encode and decode again unchanged. */
  private static void assertReencodes(MqttPacket p, MqttVersion v, long seed) {
    if (p instanceof MqttPacket.Connect c) {
      v = c.version();
    }
    MqttDecoder d =
        p.type() == PacketType.CONNECT ? MqttDecoder.forServer(1 << 20) : MqttDecoder.forClient(v, 1 << 20);
    List<Object> again = Wire.feedDirect(d, false, Wire.encode(p, v));
    if (again.size() != 1) {
      fail("seed " + seed + ": re-encoded " + p + " decoded to " + again);
    }
    assertPacketEquals(p, again.get(0));
  }

  private static byte[] encodeAll(List<MqttPacket> packets, MqttVersion v) {
    byte[] stream = new byte[0];
    for (MqttPacket p : packets) {
      stream = Wire.concat(stream, Wire.encode(p, v));
    }
    return stream;
  }

  private static byte[] mutate(byte[] b, Random rnd) {
    byte[] m = b.clone();
    switch (rnd.nextInt(4)) {
      case 0 -> {
        for (int n = 1 + rnd.nextInt(3); n > 0 && m.length > 0; n--) {
          m[rnd.nextInt(m.length)] ^= (byte) (1 << rnd.nextInt(8));
        }
      }
      case 1 -> {
        for (int n = 1 + rnd.nextInt(3); n > 0 && m.length > 0; n--) {
          m[rnd.nextInt(m.length)] = (byte) rnd.nextInt(256);
        }
      }
      case 2 -> m = Arrays.copyOf(m, rnd.nextInt(m.length + 1));
      default -> {
        int at = rnd.nextInt(m.length + 1);
        byte[] extra = new byte[1 + rnd.nextInt(4)];
        rnd.nextBytes(extra);
        m = Wire.concat(Arrays.copyOf(m, at), extra, Arrays.copyOfRange(m, at, m.length));
      }
    }
    return m;
  }

  /** Splits into random chunks, sometimes single bytes, sometimes the whole thing. */
  private static byte[][] chop(byte[] b, Random rnd) {
    List<byte[]> chunks = new ArrayList<>();
    int i = 0;
    int max = rnd.nextInt(3) == 0 ? b.length + 1 : 1 + rnd.nextInt(40);
    while (i < b.length) {
      int n = Math.min(b.length - i, 1 + rnd.nextInt(Math.max(1, max)));
      chunks.add(Arrays.copyOfRange(b, i, i + n));
      i += n;
    }
    return chunks.toArray(new byte[0][]);
  }
}

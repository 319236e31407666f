package io.simqtt.core.codec;

import static io.simqtt.core.codec.PacketAssert.assertPacketEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.simqtt.core.codec.MqttPacket.*;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RoundTripTest {
  private static final int MAX = 1 << 20;

  @ParameterizedTest
  @EnumSource(MqttVersion.class)
  void everySampleRoundTripsWhole(MqttVersion v) {
    for (MqttPacket p : Samples.all(v)) {
      byte[] bytes = Wire.encode(p, v);
      for (boolean direct : new boolean[] {false, true}) {
        List<Object> out = Wire.feed(decoderFor(p, v), direct, bytes);
        assertEquals(1, out.size(), p.type() + " decoded to " + out);
        assertPacketEquals(p, out.get(0));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(MqttVersion.class)
  void everySampleRoundTripsFedByteByByte(MqttVersion v) {
    for (MqttPacket p : Samples.all(v)) {
      List<Object> out = Wire.feedInSteps(decoderFor(p, v), Wire.encode(p, v), 1);
      assertEquals(1, out.size(), p.type() + " decoded to " + out);
      assertPacketEquals(p, out.get(0));
    }
  }

  /**
   * All samples back to back in one stream, split in two at many points (every byte boundary of
   * each single packet is already covered by the byte-by-byte test).
   */
  @ParameterizedTest
  @EnumSource(MqttVersion.class)
  void streamSplitAtEveryBoundary(MqttVersion v) {
    List<MqttPacket> packets =
        Samples.all(v).stream().filter(p -> p.type() != PacketType.CONNECT).toList();
    byte[] stream = new byte[0];
    for (MqttPacket p : packets) {
      stream = Wire.concat(stream, Wire.encode(p, v));
    }
    for (int split = 1; split < stream.length; split += split < 64 ? 1 : 29) {
      byte[] a = java.util.Arrays.copyOfRange(stream, 0, split);
      byte[] b = java.util.Arrays.copyOfRange(stream, split, stream.length);
      List<Object> out = Wire.feed(MqttDecoder.forClient(v, MAX), split % 2 == 0, a, b);
      assertEquals(packets.size(), out.size(), "split at " + split);
      for (int i = 0; i < packets.size(); i++) {
        assertPacketEquals(packets.get(i), out.get(i));
      }
    }
  }

  /** A server decoder learns the version from CONNECT and then decodes MQTT 5 properties. */
  @ParameterizedTest
  @EnumSource(MqttVersion.class)
  void serverDecoderUsesVersionFromConnect(MqttVersion v) {
    List<MqttPacket> packets = Samples.all(v);
    byte[] stream = new byte[0];
    for (MqttPacket p : packets) {
      if (p.type() != PacketType.CONNECT || p == packets.get(0)) {
        stream = Wire.concat(stream, Wire.encode(p, v));
      }
    }
    MqttDecoder decoder = MqttDecoder.forServer(MAX);
    List<Object> out = Wire.feedInSteps(decoder, stream, 7);
    assertEquals(v, decoder.version());
    List<MqttPacket> expected =
        packets.stream().filter(p -> p.type() != PacketType.CONNECT || p == packets.get(0)).toList();
    assertEquals(expected.size(), out.size());
    for (int i = 0; i < expected.size(); i++) {
      assertPacketEquals(expected.get(i), out.get(i));
    }
  }

  /** The channel encoder (exact-size allocation, per-channel version) writes the same bytes. */
  @ParameterizedTest
  @EnumSource(MqttVersion.class)
  void channelEncoderMatchesStaticEncode(MqttVersion v) {
    MqttEncoder encoder = new MqttEncoder();
    encoder.setVersion(v);
    EmbeddedChannel channel = new EmbeddedChannel(encoder);
    for (MqttPacket p : Samples.all(v)) {
      assertTrue(channel.writeOutbound(p));
      ByteBuf buf = channel.readOutbound();
      try {
        assertEquals(Wire.hex(Wire.encode(p, v)), Wire.hex(ByteBufUtil.getBytes(buf)));
      } finally {
        buf.release();
      }
    }
    channel.finishAndReleaseAll();
  }

  @ParameterizedTest
  @EnumSource(MqttVersion.class)
  void connectCarriesItsOwnVersion(MqttVersion v) {
    Connect c = Samples.connect(v);
    assertEquals(Wire.hex(Wire.encode(c, v)), Wire.hex(Wire.encode(c, MqttVersion.MQTT_3_1_1)));
  }

  private static MqttDecoder decoderFor(MqttPacket p, MqttVersion v) {
    return p.type() == PacketType.CONNECT ? MqttDecoder.forServer(MAX) : MqttDecoder.forClient(v, MAX);
  }
}

package io.simqtt.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.simqtt.core.codec.MqttDecoder;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttVersion;
import java.nio.ByteBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The patched template decodes, with the codec, to the PUBLISH it stands for. */
class PublishTemplateTest {

  @ParameterizedTest
  @CsvSource({
    "MQTT_5, 0, 16", "MQTT_5, 1, 64", "MQTT_5, 2, 300", "MQTT_3_1_1, 1, 64",
    "MQTT_3_1_1, 0, 20000"
  })
  void patchedBytesDecodeToThePublish(MqttVersion version, int qos, int payload) {
    String topic = "bench/x/é/" + "t".repeat(130); // non-ASCII and a 2-byte Remaining Length
    PublishTemplate t = new PublishTemplate(topic, qos, payload, version);
    ByteBuf b = t.encode(UnpooledByteBufAllocator.DEFAULT, 4242, 123456789L, 77, 5);
    EmbeddedChannel ch = new EmbeddedChannel(MqttDecoder.forClient(version, 1 << 20));
    ch.writeInbound(b);
    MqttPacket.Publish p = ch.readInbound();
    assertEquals(topic, p.topic());
    assertEquals(qos, p.qos());
    assertEquals(qos > 0 ? 4242 : 0, p.packetId());
    assertEquals(payload, p.payload().length);
    ByteBuffer header = ByteBuffer.wrap(p.payload());
    assertEquals(123456789L, header.getLong());
    assertEquals(77, header.getInt());
    assertEquals(5, header.getInt());
    assertArrayEquals(new byte[payload - 16], java.util.Arrays.copyOfRange(p.payload(), 16, payload));
    ch.finishAndReleaseAll();
  }
}

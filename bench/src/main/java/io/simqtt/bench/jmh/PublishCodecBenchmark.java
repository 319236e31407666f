package io.simqtt.bench.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.simqtt.core.codec.MqttDecoder;
import io.simqtt.core.codec.MqttEncoder;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding and decoding one PUBLISH with the project codec. Decoding goes through {@link
 * MqttDecoder} in an {@link EmbeddedChannel} (the decoder is a channel handler), so its figure
 * includes one pipeline pass, as in the broker.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PublishCodecBenchmark {
  @Param({"MQTT_5", "MQTT_3_1_1"})
  public MqttVersion version;

  @Param({"64", "1024"})
  public int payload;

  @Param({"1"})
  public int qos;

  private final PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
  private MqttPacket.Publish publish;
  private ByteBuf encoded;
  private EmbeddedChannel decoderChannel;

  @Setup
  public void setup() {
    publish =
        new MqttPacket.Publish(
            "site/42/dev/123/temp", qos, false, false, qos > 0 ? 17 : 0, new byte[payload],
            MqttProperties.empty());
    encoded = MqttEncoder.encode(alloc, publish, version);
    decoderChannel = new EmbeddedChannel(MqttDecoder.forClient(version, 268_435_455));
  }

  @TearDown
  public void tearDown() {
    encoded.release();
    decoderChannel.finishAndReleaseAll();
  }

  @Benchmark
  public int encode() {
    ByteBuf b = MqttEncoder.encode(alloc, publish, version);
    int n = b.readableBytes();
    b.release();
    return n;
  }

  @Benchmark
  public Object decode() {
    decoderChannel.writeInbound(encoded.retainedDuplicate());
    return decoderChannel.readInbound();
  }
}

package io.simqtt.bench.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
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
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One message for 100 subscribers: encoding it 100 times (what a per-subscriber encode costs;
 * needed when packet ids differ at QoS >= 1) against encoding it once and handing out retained
 * duplicates (QoS 0), and once plus a per-subscriber packet-id patch on a copy (QoS 1).
 * Results are per subscriber (OperationsPerInvocation = 100).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FanOutEncodeBenchmark {
  private static final int SUBSCRIBERS = 100;

  @Param({"64", "1024"})
  public int payload;

  private final PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
  private final ByteBuf[] out = new ByteBuf[SUBSCRIBERS];
  private MqttPacket.Publish[] perSubscriber;
  private MqttPacket.Publish qos0;

  @Setup
  public void setup() {
    byte[] body = new byte[payload];
    perSubscriber = new MqttPacket.Publish[SUBSCRIBERS];
    for (int s = 0; s < SUBSCRIBERS; s++) {
      perSubscriber[s] =
          new MqttPacket.Publish(
              "site/42/dev/123/temp", 1, false, false, s + 1, body, MqttProperties.empty());
    }
    qos0 = new MqttPacket.Publish("site/42/dev/123/temp", 0, false, false, 0, body, MqttProperties.empty());
  }

  private int releaseAll() {
    int n = 0;
    for (int s = 0; s < SUBSCRIBERS; s++) {
      n += out[s].readableBytes();
      out[s].release();
    }
    return n;
  }

  @Benchmark
  @OperationsPerInvocation(SUBSCRIBERS)
  public int encodeEachQos1() {
    for (int s = 0; s < SUBSCRIBERS; s++) {
      out[s] = MqttEncoder.encode(alloc, perSubscriber[s], MqttVersion.MQTT_5);
    }
    return releaseAll();
  }

  @Benchmark
  @OperationsPerInvocation(SUBSCRIBERS)
  public int encodeOnceSharedQos0() {
    ByteBuf once = MqttEncoder.encode(alloc, qos0, MqttVersion.MQTT_5);
    for (int s = 0; s < SUBSCRIBERS; s++) {
      out[s] = once.retainedDuplicate();
    }
    once.release();
    return releaseAll();
  }

  @Benchmark
  @OperationsPerInvocation(SUBSCRIBERS)
  public int encodeOncePatchPacketIdQos1() {
    ByteBuf once = MqttEncoder.encode(alloc, perSubscriber[0], MqttVersion.MQTT_5);
    int idOffset = once.readableBytes() - payload - 1 - 2; // v5: packet id, property length 0
    for (int s = 0; s < SUBSCRIBERS; s++) {
      ByteBuf copy = once.copy();
      copy.setShort(idOffset, s + 1);
      out[s] = copy;
    }
    once.release();
    return releaseAll();
  }
}

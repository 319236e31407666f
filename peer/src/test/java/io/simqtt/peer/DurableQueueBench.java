package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.simqtt.core.it.Clients;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The measured run of issue 14 (not a unit test: {@code -Pdurable-bench}): a real node process
 * with a data directory, a persistent subscriber offline while N QoS 1 messages of 64 bytes queue
 * for it; the node's heap after a full collection (jcmd) before and after, the recovery time of
 * a restart from the store (its log line), the heap after recovery, then the subscriber back and
 * every message checked in order. Prints one line of figures per run for docs/BENCHMARKS.md.
 *
 * <pre>
 * mvn -B -ntp -o -Pdurable-bench -pl peer -am test -Dtest=DurableQueueBench \
 *     -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
@Tag("durable-bench")
class DurableQueueBench {
  private static final int PAYLOAD = 64;
  /** QoS 1 publishes unacknowledged at once: group commit batches them into few fsyncs. */
  private static final int IN_FLIGHT = 1000;
  private static final Pattern RECOVERED = Pattern.compile(
      "recovered (\\d+) sessions \\(\\d+ expired while down\\) and (\\d+) messages, (\\d+) more"
          + " left on disk, in (\\d+) ms");

  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(ints = {100_000, 1_000_000})
  void anOfflineQueueOfNMessages(int n) throws Exception {
    Path data = dir.resolve("data");
    int[] ports = ClusterFixture.freePorts(3);
    Path conf = Files.writeString(dir.resolve("node.conf"), ""
        + "mqtt.listeners.tcp { host = \"127.0.0.1\", port = " + ports[0] + " }\n"
        + "mqtt.sys.interval = 0\n"
        + "mqtt.sessions.max-queued-messages = 2000000\n"
        + "mqtt.sessions.max-queued-bytes = 1TiB\n"
        + "mqtt.storage.data-dir = \"" + data + "\"\n"
        + "admin { host = \"127.0.0.1\", port = " + ports[2] + " }\n"
        + "metrics { host = \"127.0.0.1\", port = " + ports[1] + " }\n");
    long heapBefore;
    long heapQueued;
    long publishMillis;
    try (ChildProcess node = node(conf)) {
      node.awaitLine(Pattern.compile("node n1 started"), 60);
      Mqtt5BlockingClient sub = client(ports[0], "sub");
      sub.connectWith().cleanStart(true).sessionExpiryInterval(86_400).send();
      sub.subscribeWith().topicFilter("q/t").qos(MqttQos.AT_LEAST_ONCE).send();
      sub.disconnect();
      heapBefore = heapAfterGc(node);

      long start = System.nanoTime();
      publish(ports[0], n);
      publishMillis = (System.nanoTime() - start) / 1_000_000;
      heapQueued = heapAfterGc(node);
      node.terminate();
      assertEquals(0, node.awaitExit(60));
    }
    long diskBytes = diskBytes(data);

    int[] again = ClusterFixture.freePorts(3);
    Path conf2 = Files.writeString(dir.resolve("node.conf"),
        Files.readString(conf)
            .replace("port = " + ports[0], "port = " + again[0])
            .replace("port = " + ports[1], "port = " + again[1])
            .replace("port = " + ports[2], "port = " + again[2]));
    try (ChildProcess node = node(conf2)) {
      Matcher recovered = node.awaitLine(RECOVERED, 600);
      long recoveryMillis = Long.parseLong(recovered.group(4));
      long onHeap = Long.parseLong(recovered.group(2));
      long onDisk = Long.parseLong(recovered.group(3));
      assertEquals(n, onHeap + onDisk, "every message came back, on the heap or on disk");
      node.awaitLine(Pattern.compile("node n1 started"), 60);
      long heapRecovered = heapAfterGc(node);

      long start = System.nanoTime();
      receiveInOrder(again[0], n);
      long receiveMillis = (System.nanoTime() - start) / 1_000_000;
      System.out.printf(
          "durable-bench n=%d publish=%d ms (%d msg/s) disk=%d MB heap after GC: before=%d MB"
              + " queued=%d MB recovered=%d MB; recovery=%d ms (%d on heap, %d on disk);"
              + " delivered in order in %d ms (%d msg/s)%n",
          n, publishMillis, n * 1000L / Math.max(1, publishMillis), diskBytes >> 20,
          heapBefore >> 20, heapQueued >> 20, heapRecovered >> 20, recoveryMillis, onHeap,
          onDisk, receiveMillis, n * 1000L / Math.max(1, receiveMillis));
      node.terminate();
      node.awaitExit(60);
    }
  }

  private static ChildProcess node(Path conf) throws IOException {
    return ChildProcess.java(
        List.of("-Xmx1g", "-XX:+UseG1GC"), Map.of(), NodeMain.class.getName(),
        "--config", conf.toString());
  }

  private static Mqtt5BlockingClient client(int port, String id) {
    return Clients.hiveBuilder("127.0.0.1", port, id).buildBlocking();
  }

  /** Publishes {@code n} numbered 64-byte QoS 1 messages, at most {@link #IN_FLIGHT} unacked. */
  private static void publish(int port, int n) throws Exception {
    Mqtt5AsyncClient pub = client(port, "pub").toAsync();
    pub.connect().get(10, TimeUnit.SECONDS);
    Semaphore window = new Semaphore(IN_FLIGHT);
    AtomicReference<Throwable> failed = new AtomicReference<>();
    for (int i = 0; i < n && failed.get() == null; i++) {
      if (!window.tryAcquire(60, TimeUnit.SECONDS)) {
        throw new AssertionError("no PUBACK for 60 s at message " + i);
      }
      pub.publishWith()
          .topic("q/t")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(payload(i))
          .send()
          .whenComplete((r, e) -> {
            if (e != null || r.getError().isPresent()) {
              failed.compareAndSet(null, e != null ? e : r.getError().get());
            }
            window.release();
          });
    }
    assertTrue(window.tryAcquire(IN_FLIGHT, 120, TimeUnit.SECONDS), "all acknowledged");
    assertEquals(null, failed.get());
    pub.disconnect().get(10, TimeUnit.SECONDS);
  }

  private static void receiveInOrder(int port, int n) throws Exception {
    Mqtt5BlockingClient sub = client(port, "sub");
    BlockingQueue<Mqtt5Publish> inbox = new LinkedBlockingQueue<>();
    sub.toAsync().publishes(MqttGlobalPublishFilter.ALL, inbox::add);
    assertTrue(sub.connectWith().cleanStart(false).sessionExpiryInterval(86_400).send()
        .isSessionPresent());
    try {
      for (int i = 0; i < n; i++) {
        Mqtt5Publish p = inbox.poll(60, TimeUnit.SECONDS);
        if (p == null) {
          throw new AssertionError("message " + i + " of " + n + " did not arrive in 60 s");
        }
        byte[] got = p.getPayloadAsBytes();
        if (!Arrays.equals(payload(i), got)) {
          throw new AssertionError("message " + i + " out of order: got "
              + new String(got, StandardCharsets.US_ASCII).trim());
        }
      }
      assertEquals(null, inbox.poll(1, TimeUnit.SECONDS), "nothing more, nothing twice");
    } finally {
      Clients.disconnectQuietly(sub);
    }
  }

  private static byte[] payload(int i) {
    byte[] b = new byte[PAYLOAD];
    Arrays.fill(b, (byte) ' ');
    byte[] digits = Integer.toString(i).getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(digits, 0, b, 0, digits.length);
    return b;
  }

  /** The node's used heap right after a full collection, from jcmd GC.run and GC.heap_info. */
  private static long heapAfterGc(ChildProcess node) throws Exception {
    jcmd(node, "GC.run");
    String info = jcmd(node, "GC.heap_info");
    Matcher m = Pattern.compile("used (\\d+)K").matcher(info);
    assertTrue(m.find(), info);
    return Long.parseLong(m.group(1)) << 10;
  }

  private static String jcmd(ChildProcess node, String command) throws Exception {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process p = new ProcessBuilder(jcmd.toString(), Long.toString(node.pid()), command)
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    return out;
  }

  private static long diskBytes(Path data) throws IOException {
    try (var files = Files.walk(data)) {
      return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    }
  }
}

package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.awaitValue;
import static io.simqtt.core.it.Clients.hiveClient;
import static io.simqtt.core.it.Clients.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Interop with Debian's mosquitto clients (package mosquitto-clients) run as real processes. If
 * they are missing the class fails, unless SIMQTT_SKIP_MOSQUITTO=1 says to skip it.
 */
class MosquittoInteropTest {
  private static final String[] VERSIONS = {"mqttv311", "mqttv5"};
  private static BrokerFixture f;

  @BeforeAll
  static void start() {
    if ("1".equals(System.getenv("SIMQTT_SKIP_MOSQUITTO"))) {
      Assumptions.abort("SIMQTT_SKIP_MOSQUITTO=1");
    }
    for (String tool : List.of("mosquitto_pub", "mosquitto_sub")) {
      if (onPath(tool) == null) {
        fail(
            tool
                + " is not on PATH: install the Debian package mosquitto-clients"
                + " (apt-get install -y mosquitto-clients) or set SIMQTT_SKIP_MOSQUITTO=1 to skip"
                + " this test");
      }
    }
    f = BrokerFixture.start();
  }

  @AfterAll
  static void stop() {
    if (f != null) {
      f.close();
    }
  }

  @AfterEach
  void nothingLeftOpen() throws InterruptedException {
    awaitValue(
        0, f.broker().metrics()::currentConnections, Duration.ofSeconds(5), "current connections");
  }

  private static Path onPath(String tool) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(File.pathSeparator)) {
      Path p = Path.of(dir, tool);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** A started mosquitto process whose output goes to a temp file. */
  private record Proc(Process process, Path out) {
    /** Waits for the process to exit within {@code seconds}; returns exit code and output. */
    String finish(int seconds) throws Exception {
      if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        fail("mosquitto process did not exit in " + seconds + " s: " + read());
      }
      String output = read();
      assertEquals(0, process.exitValue(), () -> "exit code; output: " + output);
      return output;
    }

    private String read() throws IOException {
      String s = Files.readString(out, StandardCharsets.UTF_8);
      Files.deleteIfExists(out);
      return s;
    }
  }

  private static Proc run(String tool, String version, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(tool);
    cmd.addAll(List.of("-h", "127.0.0.1", "-p", String.valueOf(f.port()), "-V", version));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile("mosquitto", ".out");
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    return new Proc(p, out);
  }

  /** Waits until {@code clientId} holds a subscription matching {@code topic}. */
  private static void awaitSubscribed(String clientId, String topic) throws InterruptedException {
    awaitValue(
        1,
        () ->
            f.broker().subscriptions().match(topic).direct().stream()
                    .anyMatch(e -> e.clientId().equals(clientId))
                ? 1
                : 0,
        Duration.ofSeconds(5),
        clientId + " subscribed to " + topic);
  }

  @Test
  void mosquittoPubReachesMosquittoSubAtEveryQosAndVersion() throws Exception {
    for (String v : VERSIONS) {
      for (int qos = 0; qos <= 2; qos++) {
        String topic = "interop/" + v + "/q" + qos;
        String id = "msub-" + v + "-" + qos;
        String payload = "hello " + v + " qos" + qos + " ü";
        // -F: topic, QoS and payload, so the granted delivery QoS is checked too.
        Proc sub =
            run("mosquitto_sub", v, "-i", id, "-t", topic, "-q", String.valueOf(qos),
                "-C", "1", "-W", "5", "-F", "%t|%q|%p");
        awaitSubscribed(id, topic);
        run("mosquitto_pub", v, "-i", "mpub-" + v + "-" + qos, "-t", topic,
                "-q", String.valueOf(qos), "-m", payload)
            .finish(5);
        assertEquals(topic + "|" + qos + "|" + payload + "\n", sub.finish(6), v + " QoS " + qos);
      }
    }
  }

  @Test
  void retainedMessageFromMosquittoPubIsDeliveredToALaterMosquittoSub() throws Exception {
    for (String v : VERSIONS) {
      String topic = "interop/retained/" + v;
      run("mosquitto_pub", v, "-t", topic, "-q", "1", "-r", "-m", "kept " + v).finish(5);
      // %r prints the retain flag: a retained message sent on subscribe has it set.
      Proc sub = run("mosquitto_sub", v, "-t", topic, "-q", "1", "-C", "1", "-W", "5",
          "-F", "%r|%p");
      assertEquals("1|kept " + v + "\n", sub.finish(6), v);
      // An empty retained message clears it (MQTT-3.3.1-10): a new subscriber gets nothing.
      run("mosquitto_pub", v, "-t", topic, "-r", "-n").finish(5);
      awaitValue(
          0,
          () -> f.broker().retained().get(topic) == null ? 0 : 1,
          Duration.ofSeconds(5),
          "retained message on " + topic);
    }
  }

  @Test
  void mosquittoAndHiveMqClientsTalkBothWays() throws Exception {
    Mqtt5BlockingClient hive =
        hiveClient(f, "hive-interop");
    hive.connect();
    try (var publishes = hive.publishes(MqttGlobalPublishFilter.ALL)) {
      hive.subscribeWith().topicFilter("interop/to-hive/#").qos(MqttQos.EXACTLY_ONCE).send();
      for (String v : VERSIONS) {
        run("mosquitto_pub", v, "-t", "interop/to-hive/" + v, "-q", "2", "-m", "from " + v)
            .finish(5);
        Optional<Mqtt5Publish> m = publishes.receive(5, TimeUnit.SECONDS);
        assertTrue(m.isPresent(), "HiveMQ client got nothing from mosquitto_pub " + v);
        assertEquals("from " + v, text(m.get()));
        assertEquals(MqttQos.EXACTLY_ONCE, m.get().getQos());
      }
      for (String v : VERSIONS) {
        String id = "msub-from-hive-" + v;
        String topic = "interop/from-hive/" + v;
        Proc sub = run("mosquitto_sub", v, "-i", id, "-t", topic, "-q", "2", "-C", "1", "-W", "5");
        awaitSubscribed(id, topic);
        hive.publishWith().topic(topic).qos(MqttQos.EXACTLY_ONCE).payload(("to " + v).getBytes(StandardCharsets.UTF_8)).send();
        assertEquals("to " + v + "\n", sub.finish(6), v);
      }
      assertTrue(publishes.receive(200, TimeUnit.MILLISECONDS).isEmpty(), "no duplicates");
    } finally {
      hive.disconnect();
    }
  }
}

package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.simqtt.config.StorageSettings;
import io.simqtt.core.it.Clients;
import io.simqtt.peer.admin.AdminCli;
import io.simqtt.store.DurableStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durable mode in real node processes: what a node wrote to its data directory is there after
 * kill -9 and a restart on the same directory, and a damaged store stops the node with a clear
 * error and a non-zero exit instead of being discarded.
 */
class DurableNodeProcessTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final int TOPICS = 20;

  @TempDir Path dir;

  private Path dataDir() {
    return dir.resolve("data");
  }

  /**
   * A config on fresh ports (a restart must not wait for the old ones): {mqtt, metrics, admin}.
   */
  private Path config(String name, int[] ports) throws IOException {
    return Files.writeString(dir.resolve(name + ".conf"), ""
        + "mqtt.listeners.tcp { host = \"127.0.0.1\", port = " + ports[0] + " }\n"
        + "mqtt.sys.interval = 0\n"
        + "mqtt.storage.data-dir = \"" + dataDir() + "\"\n"
        + "admin { host = \"127.0.0.1\", port = " + ports[2] + " }\n"
        + "metrics { host = \"127.0.0.1\", port = " + ports[1] + " }\n");
  }

  private static ChildProcess node(Path conf) throws IOException {
    return ChildProcess.java(Map.of(), NodeMain.class.getName(), "--config", conf.toString());
  }

  /** The value of an unlabelled metric on the node's /metrics. */
  private static double metric(int port, String name) {
    try {
      String text = HTTP.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      Matcher m = Pattern.compile("(?m)^" + name + " (\\S+)$").matcher(text);
      return m.find() ? Double.parseDouble(m.group(1)) : -1;
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static void kill9(ChildProcess node) throws Exception {
    Process kill = new ProcessBuilder("kill", "-9", Long.toString(node.pid())).start();
    assertEquals(0, kill.waitFor());
    assertEquals(137, node.awaitExit(30), "killed by SIGKILL");
  }

  @Test
  void retainedMessagesAndClearsSurviveKill9AndARestartOnTheSameDirectory() throws Exception {
    int[] first = ClusterFixture.freePorts(3);
    Map<String, String> expected = new TreeMap<>();
    try (ChildProcess node = node(config("first", first))) {
      node.awaitLine(Pattern.compile("node n1 started"), 60);
      Mqtt5BlockingClient publisher =
          Clients.hiveBuilder("127.0.0.1", first[0], "publisher").buildBlocking();
      publisher.connect();
      for (int i = 0; i < TOPICS; i++) {
        publish(publisher, "r/" + i, "v1-" + i);
        expected.put("r/" + i, "v1-" + i);
      }
      for (int i = 0; i < 5; i++) {
        publish(publisher, "r/" + i, ""); // an empty retained message clears the topic
        expected.remove("r/" + i);
      }
      publish(publisher, "r/5", "v2-5");
      expected.put("r/5", "v2-5");
      // The PUBACKs above do not wait for the disk yet (core's part of durable mode): wait
      // until the store has written all 26 changes, which is what this test is about.
      await(Duration.ofSeconds(10), () -> metric(first[1], "simqtt_store_committed_writes_total")
          >= 26 && metric(first[1], "simqtt_store_pending_writes") == 0, "the writes on disk");
      kill9(node);
    }

    int[] second = ClusterFixture.freePorts(3);
    try (ChildProcess node = node(config("second", second))) {
      Matcher recovered = node.awaitLine(Pattern.compile(
          "recovered (\\d+) retained messages and (\\d+) tombstones from (\\S+) in \\d+ ms"), 60);
      assertEquals(Integer.toString(expected.size()), recovered.group(1));
      assertEquals("5", recovered.group(2), "the clears are remembered as tombstones");
      assertEquals(dataDir().toString(), recovered.group(3));
      node.awaitLine(Pattern.compile("node n1 started"), 60);

      Mqtt5BlockingClient subscriber =
          Clients.hiveBuilder("127.0.0.1", second[0], "subscriber").buildBlocking();
      subscriber.connect();
      Map<String, String> received = new TreeMap<>();
      try (Mqtt5BlockingClient.Mqtt5Publishes inbox =
          subscriber.publishes(MqttGlobalPublishFilter.ALL)) {
        subscriber.subscribeWith().topicFilter("r/#").qos(MqttQos.AT_LEAST_ONCE).send();
        // Retained messages go out on subscribe, before anything published after it: once this
        // one arrives, every retained message the node had has arrived.
        subscriber.publishWith().topic("r/end").qos(MqttQos.AT_LEAST_ONCE)
            .payload(Clients.bytes("end")).send();
        for (Mqtt5Publish p = Clients.receive(inbox, Duration.ofSeconds(10));
            !p.getTopic().toString().equals("r/end");
            p = Clients.receive(inbox, Duration.ofSeconds(10))) {
          assertTrue(p.isRetain(), p.toString());
          assertEquals(null, received.put(p.getTopic().toString(), Clients.text(p)),
              "once each");
        }
      }
      assertEquals(expected, received);
      subscriber.disconnect();

      try (ChildProcess status = ChildProcess.java(Map.of(), AdminCli.class.getName(),
          "status", "--node", "127.0.0.1:" + second[2])) {
        Matcher row = status.awaitLine(Pattern.compile("^n1 +durable +(\\S+) +(\\d+) +always "),
            30);
        assertEquals(dataDir().toString(), row.group(1));
        assertTrue(Long.parseLong(row.group(2)) > 0, "the data directory's size");
        assertEquals(0, status.awaitExit(30));
      }
    }
  }

  private static void publish(Mqtt5BlockingClient c, String topic, String payload) {
    c.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).retain(true)
        .payload(Clients.bytes(payload)).send();
  }

  @Test
  void aDamagedStoreStopsTheNodeWithTheProblemAndItsPath() throws Exception {
    StorageSettings settings = new StorageSettings(dataDir(), StorageSettings.Sync.ALWAYS,
        Duration.ofMillis(10), 1000, 1 << 20, 1 << 20);
    DurableStore.open(settings).close();
    Files.write(dataDir().resolve("CURRENT"), new byte[0]);

    try (ChildProcess node = node(config("damaged", ClusterFixture.freePorts(3)))) {
      Matcher m = node.awaitLine(Pattern.compile(
          "node n1 failed to start: the store in (\\S+) is damaged \\((.*)\\)"), 60);
      assertEquals(dataDir().toString(), m.group(1));
      assertEquals(1, node.awaitExit(30), "a non-zero exit");
      assertFalse(node.stdoutLines().stream().anyMatch(l -> l.contains("started:")),
          "no listener was opened");
    }
    assertEquals(0, Files.size(dataDir().resolve("CURRENT")), "the store was left as it was");
  }
}

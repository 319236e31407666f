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
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.Clients;
import io.simqtt.core.it.RawClient;
import io.simqtt.peer.admin.AdminCli;
import io.simqtt.store.DurableStore;
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
 * kill -9 and a restart on the same directory, what expired while it was down is gone (a will
 * past its delay goes out at start), and a damaged store stops the node with a clear error and a
 * non-zero exit instead of being discarded.
 */
class DurableNodeProcessTest {
  private static final int TOPICS = 20;

  @TempDir Path dir;

  @Test
  void retainedMessagesAndClearsSurviveKill9AndARestartOnTheSameDirectory() throws Exception {
    Map<String, String> expected = new TreeMap<>();
    try (DurableNodeProcess node = new DurableNodeProcess(dir, "")) {
      node.start();
      Mqtt5BlockingClient publisher =
          Clients.hiveBuilder("127.0.0.1", node.mqttPort(), "publisher").buildBlocking();
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
      node.kill9(); // at once: a retained PUBACK waits for the store to have written it

      Matcher recovered = node.launch().awaitLine(Pattern.compile(
          "recovered (\\d+) retained messages and (\\d+) tombstones from (\\S+) in \\d+ ms"), 60);
      assertEquals(Integer.toString(expected.size()), recovered.group(1));
      assertEquals("5", recovered.group(2), "the clears are remembered as tombstones");
      assertEquals(node.dataDir().toString(), recovered.group(3));
      node.process().awaitLine(Pattern.compile("node n1 started"), 60);

      Mqtt5BlockingClient subscriber =
          Clients.hiveBuilder("127.0.0.1", node.mqttPort(), "subscriber").buildBlocking();
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
          "status", "--node", "127.0.0.1:" + node.adminPort())) {
        Matcher row = status.awaitLine(Pattern.compile("^n1 +durable +(\\S+) +(\\d+) +always "),
            30);
        assertEquals(node.dataDir().toString(), row.group(1));
        assertTrue(Long.parseLong(row.group(2)) > 0, "the data directory's size");
        assertEquals(0, status.awaitExit(30));
      }
    }
  }

  @Test
  void aRestartDropsSessionsThatExpiredWhileDownAndSendsTheirDueWills() throws Exception {
    try (DurableNodeProcess node = new DurableNodeProcess(dir, "");
        RawSessionSubscriber watcher = new RawSessionSubscriber("watcher", 10)) {
      node.start();
      watcher.connect(node.mqttPort(), true);
      watcher.subscribe("will/#", 1);
      watcher.disconnect();

      double writes = node.metric("simqtt_store_committed_writes_total");
      long offline;
      try (RawClient brief = RawClient.open("127.0.0.1", node.mqttPort(), MqttVersion.MQTT_5)) {
        MqttProperties willProps = MqttProperties.empty();
        willProps.willDelayInterval = 1L;
        MqttPacket.Connect connect = RawClient.withWill(RawClient.connectPacket(
            MqttVersion.MQTT_5, "brief", true, 0, RawClient.sessionExpiry(1)),
            new MqttPacket.Will("will/brief", Clients.bytes("bye"), 1, false, willProps));
        assertEquals(ReasonCode.SUCCESS, brief.connect(connect).reasonCode());
        brief.subscribe("brief/#", 1);
        brief.abort(); // no DISCONNECT: the will stands, 1 s after going offline
        offline = System.nanoTime();
      }
      // Its detach (the time it went offline) on disk, then the kill before the will is due.
      await(Duration.ofSeconds(10), () -> node.metric("simqtt_store_committed_writes_total")
          > writes + 1 && node.metric("simqtt_store_pending_writes") == 0, "the detach written");
      node.kill9();
      assertTrue(System.nanoTime() - offline < 1_000_000_000L,
          "killed before the will was due (the machine was too slow to set this up)");
      // The scenario is time passing while the node is down: past the session's expiry (1 s).
      long down = offline + 1_500_000_000L - System.nanoTime();
      if (down > 0) {
        Thread.sleep(down / 1_000_000 + 1);
      }

      Matcher recovered = node.launch().awaitLine(Pattern.compile(
          "recovered \\d+ sessions \\((\\d+) expired while down\\)"), 60);
      assertEquals("1", recovered.group(1), recovered.group());
      node.process().awaitLine(Pattern.compile("node n1 started"), 60);

      assertTrue(watcher.connect(node.mqttPort(), false), "the watcher's session was kept");
      watcher.readUntil(() -> watcher.receipts.has("bye"), Duration.ofSeconds(3),
          Duration.ofSeconds(10));
      assertEquals(1, watcher.receipts.total(), "the due will, once: " + watcher.log);
      assertTrue(watcher.receipts.has("bye"));
      try (RawClient brief = RawClient.open("127.0.0.1", node.mqttPort(), MqttVersion.MQTT_5)) {
        assertFalse(brief.connect("brief", false, 0, RawClient.sessionExpiry(1)).sessionPresent(),
            "the session that expired while the node was down is gone");
      }
    }
  }

  private static void publish(Mqtt5BlockingClient c, String topic, String payload) {
    c.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).retain(true)
        .payload(Clients.bytes(payload)).send();
  }

  @Test
  void aDamagedStoreStopsTheNodeWithTheProblemAndItsPath() throws Exception {
    DurableNodeProcess damaged = new DurableNodeProcess(dir, "");
    StorageSettings settings = new StorageSettings(damaged.dataDir(),
        StorageSettings.Sync.ALWAYS, Duration.ofMillis(10), 1000, 1 << 20, 1 << 20);
    DurableStore.open(settings).close();
    Files.write(damaged.dataDir().resolve("CURRENT"), new byte[0]);

    try (damaged; ChildProcess node = damaged.launch()) {
      Matcher m = node.awaitLine(Pattern.compile(
          "node n1 failed to start: the store in (\\S+) is damaged \\((.*)\\)"), 60);
      assertEquals(damaged.dataDir().toString(), m.group(1));
      assertEquals(1, node.awaitExit(30), "a non-zero exit");
      assertFalse(node.stdoutLines().stream().anyMatch(l -> l.contains("started:")),
          "no listener was opened");
    }
    assertEquals(0, Files.size(damaged.dataDir().resolve("CURRENT")),
        "the store was left as it was");
  }
}

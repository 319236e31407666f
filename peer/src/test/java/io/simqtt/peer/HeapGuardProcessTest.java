package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.simqtt.core.it.Clients;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The heap guard in a node process with a 64 MiB heap, flooded with large QoS 1 messages for an
 * offline persistent subscriber whose queue may hold far more than that heap: the guard turns on,
 * the process stays alive and answers /health/live (and 503 on /health/ready), and once the
 * subscriber's session expires and frees its queue the guard turns off and the node takes clients
 * again. The node runs with -XX:+ExitOnOutOfMemoryError, so exhausting its heap would end it
 * (as it does with mqtt.heap-guard.enabled = false). With G1 (the JVM's default) and with the
 * parallel collector (bin/node-env.sh's default), whose old generations are watched differently.
 */
class HeapGuardProcessTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final int PUBLISHERS = 4;
  private static final int MESSAGES_EACH = 500;
  private static final int PAYLOAD = 64 * 1024;

  @TempDir Path dir;

  private static int status(int port, String path) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
              .timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static String metrics(int port) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
        .build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  @ParameterizedTest
  @ValueSource(strings = {"-XX:+UseG1GC", "-XX:+UseParallelGC"})
  void aSmallHeapFloodedForAnOfflineSubscriberStaysAliveAndRecovers(String gc) throws Exception {
    int[] ports = ClusterFixture.freePorts(2);
    int mqtt = ports[0];
    int http = ports[1];
    Path conf = Files.writeString(dir.resolve("node.conf"), ""
        + "mqtt.listeners.tcp { host = \"127.0.0.1\", port = " + mqtt + " }\n"
        + "mqtt.sessions.max-queued-messages = 1000000\n"
        + "mqtt.sessions.max-queued-bytes = 1TiB\n"
        + "mqtt.sys.interval = 0\n"
        // A 64 MiB heap has 6 MiB above the default 90%: less than what two event loops read
        // and hand on at this rate before they stop. Larger heaps have proportionally more room.
        + "mqtt.heap-guard { stop-above = 0.75, resume-below = 0.5 }\n"
        + "admin.enabled = false\n"
        + "metrics { host = \"127.0.0.1\", port = " + http + " }\n");
    try (ChildProcess node = ChildProcess.java(
        List.of(gc, "-Xmx64m", "-XX:+ExitOnOutOfMemoryError"), Map.of(),
        NodeMain.class.getName(), "--config", conf.toString())) {
      node.awaitLine(Pattern.compile("node n1 started"), 60);

      // A persistent subscriber that leaves: its session keeps every message for 15 s, which
      // must outlast the flood and the probes below (8 s did not on a loaded machine: the guard
      // was off again before /health/ready was read).
      Mqtt5BlockingClient subscriber = Clients.hiveBuilder("127.0.0.1", mqtt, "offline")
          .buildBlocking();
      subscriber.connectWith().cleanStart(true).sessionExpiryInterval(15).send();
      subscriber.subscribeWith().topicFilter("flood").qos(MqttQos.AT_LEAST_ONCE).send();
      subscriber.disconnect();

      // The flood: 4 x 500 x 64 KiB = 125 MiB for a 64 MiB heap.
      List<Mqtt5AsyncClient> publishers = new ArrayList<>();
      byte[] payload = new byte[PAYLOAD];
      for (int p = 0; p < PUBLISHERS; p++) {
        Mqtt5AsyncClient c = Clients.hiveBuilder("127.0.0.1", mqtt, "pub-" + p).buildAsync();
        c.connect().get(10, TimeUnit.SECONDS);
        publishers.add(c);
        for (int i = 0; i < MESSAGES_EACH; i++) {
          c.publishWith().topic("flood").qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
        }
      }

      node.awaitLine(Pattern.compile("heap guard on"), 60);
      assertTrue(node.isAlive(), "the node survived the flood");
      // Right as the guard turns on, the old generation is nearly full and a collection may hold
      // the process for seconds: the probes answer once it is through, well before the guard lets
      // go (the session still holds its queue).
      await(Duration.ofSeconds(30), () -> status(http, "/health/live") == 200,
          "answers /health/live");
      assertEquals(503, status(http, "/health/ready"));
      assertTrue(metrics(http).contains("simqtt_heap_guard_active 1.0"));

      // The session expires, its queue goes, the guard lets go: ready again.
      node.awaitLine(Pattern.compile("heap guard off"), 60);
      await(Duration.ofSeconds(10), () -> status(http, "/health/ready") == 200, "ready again");
      assertTrue(node.isAlive());
      String text = metrics(http);
      assertTrue(text.contains("simqtt_heap_guard_active 0.0"), text);
      assertTrue(text.matches("(?s).*simqtt_heap_guard_episodes_total [1-9].*"), text);

      // And the node takes clients and delivers.
      Mqtt5BlockingClient probe = Clients.hiveBuilder("127.0.0.1", mqtt, "probe").buildBlocking();
      probe.connect();
      try (Mqtt5BlockingClient.Mqtt5Publishes inbox =
          probe.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL)) {
        probe.subscribeWith().topicFilter("after").qos(MqttQos.AT_LEAST_ONCE).send();
        probe.publishWith().topic("after").qos(MqttQos.AT_LEAST_ONCE)
            .payload(Clients.bytes("fine")).send();
        assertEquals("fine", Clients.text(Clients.receive(inbox, Duration.ofSeconds(10))));
      }
      probe.disconnect();
      publishers.forEach(c -> c.disconnect());
      assertTrue(node.isAlive(), "alive at the end");
      node.stdoutLines().stream().filter(l -> l.contains("heap guard")).forEach(System.out::println);
    }
  }
}

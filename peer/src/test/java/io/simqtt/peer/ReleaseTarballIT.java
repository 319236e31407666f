package io.simqtt.peer;

import static io.simqtt.core.it.Clients.hiveBuilder;
import static io.simqtt.core.it.Clients.hiveConnected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release as an operator uses it: unpacked into an empty directory, run by its own
 * bin/start-node.sh and bin/admin.sh with no Maven to fall back on (the three-node cluster from
 * the release is in {@link ClusterScriptIT}).
 */
@Timeout(180)
class ReleaseTarballIT {
  private static final Pattern STARTED =
      Pattern.compile("node rel-1 started: mqtt tcp://127\\.0\\.0\\.1:(\\d+)$");
  private static final Pattern ADMIN = Pattern.compile("admin API on tcp://127\\.0\\.0\\.1:(\\d+)");

  @TempDir Path dir;

  @Test
  void aNodeFromTheUnpackedReleaseServesClientsAndStopsCleanly() throws Exception {
    Path release = ReleaseTarball.unpack(dir);
    for (String f : List.of("bin/start-node.sh", "bin/admin.sh", "bin/cluster-local.sh",
        "bin/cluster-certs.sh", "conf/examples/all-listeners.conf",
        "lib/simqtt-node.jar", "conf/reference.conf", "conf/logback.xml",
        "conf/examples/single-node.conf", "conf/examples/cluster-local/n1.conf", "README.md")) {
      assertTrue(Files.exists(release.resolve(f)), f + " in the release");
    }
    assertTrue(Files.isExecutable(release.resolve("bin/start-node.sh")));

    Path conf = Files.writeString(dir.resolve("node.conf"), "node.id = rel-1\n"
        + "mqtt.listeners.tcp { host = \"127.0.0.1\", port = 0 }\nadmin.port = 0\nmetrics.port = 0\n");
    Map<String, String> env = ReleaseTarball.withoutMaven(dir);
    try (ChildProcess node = ChildProcess.start(List.of(
        release.resolve("bin/start-node.sh").toString(), "--config", conf.toString()), env)) {
      Matcher admin = node.awaitLine(ADMIN, 60);
      int adminPort = Integer.parseInt(admin.group(1));
      int mqttPort = Integer.parseInt(node.awaitLine(STARTED, 60).group(1));

      publishAndReceive(mqttPort);

      Map<String, String> adminEnv = new HashMap<>(env);
      try (ChildProcess status = ChildProcess.start(List.of(
          release.resolve("bin/admin.sh").toString(), "status",
          "--node", "127.0.0.1:" + adminPort), adminEnv)) {
        assertEquals(0, status.awaitExit(60), "admin.sh status: " + status.stderr());
        assertTrue(String.join("\n", status.stdoutLines()).contains("rel-1"),
            "status names the node: " + status.stdoutLines());
      }

      node.terminate();
      assertEquals(0, node.awaitExit(20));
    }
    assertFalse(ReleaseTarball.mavenCalled(dir), "a release script tried to run Maven");
    String logFile = Files.readString(release.resolve("log/si-mqtt.log"));
    assertTrue(logFile.contains("node rel-1 started") && logFile.contains("node rel-1 stopped"),
        "conf/logback.xml writes log/si-mqtt.log:\n" + logFile);
  }

  private static void publishAndReceive(int port) throws InterruptedException {
    Mqtt5BlockingClient sub = hiveConnected(hiveBuilder("127.0.0.1", port, "rel-sub"));
    Mqtt5BlockingClient pub = hiveConnected(hiveBuilder("127.0.0.1", port, "rel-pub"));
    try (Mqtt5BlockingClient.Mqtt5Publishes in = sub.publishes(MqttGlobalPublishFilter.ALL)) {
      sub.subscribeWith().topicFilter("rel/#").qos(MqttQos.AT_LEAST_ONCE).send();
      pub.publishWith().topic("rel/hello").qos(MqttQos.AT_LEAST_ONCE)
          .payload("from the release".getBytes()).send();
      Optional<Mqtt5Publish> got = in.receive(10, TimeUnit.SECONDS);
      assertTrue(got.isPresent(), "no message through the node from the release");
      assertEquals("from the release", new String(got.get().getPayloadAsBytes()));
    } finally {
      pub.disconnect();
      sub.disconnect();
    }
  }
}

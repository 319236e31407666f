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
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * bin/cluster-local.sh as a developer runs it from the checkout, and as an operator runs it from
 * the unpacked release with no Maven to fall back on: three real node processes, on ports of their
 * own (so a developer's cluster on 1883.. keeps running), a publish on n1 received on n3, status,
 * and a stop that leaves none of the three pids alive.
 */
@Timeout(240)
class ClusterScriptIT {
  private static final List<String> NODES = List.of("n1", "n2", "n3");

  @TempDir Path runDir;
  @TempDir Path releaseDir;
  private Path root;
  private Map<String, String> env;

  @ParameterizedTest(name = "from the {0}")
  @ValueSource(strings = {"checkout", "release"})
  void startPublishOnN1ReceiveOnN3StatusAndStop(String from) throws Exception {
    boolean release = from.equals("release");
    root = release ? ReleaseTarball.unpack(releaseDir) : RepoRoot.packaged();
    int mqttBase = freeBase();
    int peerBase = freeBase();
    env = new HashMap<>(release ? ReleaseTarball.withoutMaven(releaseDir) : Map.of());
    env.putAll(Map.of(
        "SIMQTT_RUN_DIR", runDir.toString(),
        "SIMQTT_BASE_MQTT_PORT", Integer.toString(mqttBase),
        "SIMQTT_BASE_PEER_PORT", Integer.toString(peerBase),
        "SIMQTT_BASE_ADMIN_PORT", Integer.toString(freeBase()),
        "SIMQTT_BASE_METRICS_PORT", Integer.toString(freeBase()),
        "SIMQTT_CLUSTER_SECRET", "cluster-script-it-secret-0123456789"));

    Script start = run("start", 150);
    assertEquals(0, start.exit, "start failed: " + start);
    assertTrue(start.stdout.contains("all links up"), start.toString());

    List<Long> pids = new ArrayList<>();
    for (String n : NODES) {
      Path pidFile = runDir.resolve(n + ".pid");
      assertTrue(Files.isRegularFile(pidFile), n + ".pid in the run dir");
      long pid = Long.parseLong(Files.readString(pidFile).trim());
      assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), n + " alive");
      pids.add(pid);
      assertTrue(Files.isRegularFile(runDir.resolve(n + ".log")), n + ".log in the run dir");
    }

    publishOnN1ReceiveOnN3(mqttBase);

    Script status = run("status", 30);
    assertEquals(0, status.exit, "status: " + status);
    for (int i = 0; i < 3; i++) {
      String n = NODES.get(i);
      String line = status.lines().stream().filter(l -> l.startsWith(n + " ")).findFirst()
          .orElseThrow(() -> new AssertionError("no status line for " + n + ": " + status));
      assertTrue(line.contains("running"), line);
      assertTrue(line.contains(Integer.toString(mqttBase + i)), "MQTT port in " + line);
      for (String p : NODES) {
        if (!p.equals(n)) {
          assertTrue(line.contains(p + "=UP"), "link to " + p + " in " + line);
        }
      }
    }

    Script stop = run("stop", 60);
    assertEquals(0, stop.exit, "stop: " + stop);
    for (int i = 0; i < 3; i++) {
      long pid = pids.get(i);
      assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
          NODES.get(i) + " (pid " + pid + ") still alive after stop");
      assertFalse(Files.exists(runDir.resolve(NODES.get(i) + ".pid")), "pid file removed");
    }
    for (String n : NODES) {
      assertTrue(Files.readString(runDir.resolve(n + ".log")).contains("node " + n + " stopped"),
          n + " stopped cleanly");
    }
    Script after = run("status", 30);
    assertEquals(3, after.exit, "status of a stopped cluster: " + after);
    assertFalse(ReleaseTarball.mavenCalled(releaseDir), "a release script tried to run Maven");
  }

  private static void publishOnN1ReceiveOnN3(int mqttBase) throws InterruptedException {
    Mqtt5BlockingClient sub = hiveConnected(hiveBuilder("127.0.0.1", mqttBase + 2, "it-sub"));
    Mqtt5BlockingClient pub = hiveConnected(hiveBuilder("127.0.0.1", mqttBase, "it-pub"));
    try (Mqtt5BlockingClient.Mqtt5Publishes in = sub.publishes(MqttGlobalPublishFilter.ALL)) {
      sub.subscribeWith().topicFilter("it/#").qos(MqttQos.AT_LEAST_ONCE).send();
      // The subscription reaches n1 as a route a moment later: publish until one arrives.
      Optional<Mqtt5Publish> got = Optional.empty();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      for (int i = 0; got.isEmpty() && System.nanoTime() < deadline; i++) {
        pub.publishWith().topic("it/hello").qos(MqttQos.AT_LEAST_ONCE)
            .payload(("hello-" + i).getBytes()).send();
        got = in.receive(200, TimeUnit.MILLISECONDS);
      }
      assertTrue(got.isPresent(), "nothing published on n1 reached the subscriber on n3");
      assertTrue(new String(got.get().getPayloadAsBytes()).startsWith("hello-"));
    } finally {
      pub.disconnect();
      sub.disconnect();
    }
  }

  /** Never leave nodes behind, whatever failed. */
  @AfterEach
  void stopLeftovers() throws Exception {
    if (root == null) {
      return;
    }
    boolean left = false;
    for (String n : NODES) {
      left |= Files.exists(runDir.resolve(n + ".pid"));
    }
    if (left) {
      run("stop", 60);
    }
  }

  private Script run(String command, long seconds) throws Exception {
    try (ChildProcess p = ChildProcess.start(
        List.of("bash", root.resolve("bin/cluster-local.sh").toString(), command), env)) {
      int exit = p.awaitExit(seconds);
      return new Script(command, exit, String.join("\n", p.stdoutLines()), p.stderr());
    }
  }

  private record Script(String command, int exit, String stdout, String stderr) {
    List<String> lines() {
      return List.of(stdout.split("\n"));
    }

    @Override
    public String toString() {
      return command + " exit " + exit + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
    }
  }

  /** The first of three consecutive ports free on 127.0.0.1 right now, away from 1883/7946. */
  private static int freeBase() throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      int base = ThreadLocalRandom.current().nextInt(20_000, 30_000);
      if (free(base) && free(base + 1) && free(base + 2)) {
        return base;
      }
    }
    throw new IOException("no three consecutive free ports found");
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}

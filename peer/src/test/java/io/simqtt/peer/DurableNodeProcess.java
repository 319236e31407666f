package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One single-node broker process in durable mode on a data directory that outlives it: each
 * {@link #start} runs a new process on fresh ports (a restart must not wait for the old ones) and
 * the same directory; {@link #kill9} kills it by its pid. Ports are {mqtt, metrics, admin}.
 */
final class DurableNodeProcess implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private final Path dir;
  private final String extraHocon;
  private int starts;
  private ChildProcess process;
  private int[] ports;

  /** Configs go in {@code dir}, the store in {@code dir}/data; {@code extraHocon} is appended. */
  DurableNodeProcess(Path dir, String extraHocon) {
    this.dir = dir;
    this.extraHocon = extraHocon;
  }

  Path dataDir() {
    return dir.resolve("data");
  }

  /** Starts a new process (the previous one must be gone); does not wait for it. */
  ChildProcess launch() throws IOException {
    ports = ClusterFixture.freePorts(3);
    Path conf = Files.writeString(dir.resolve("run" + (++starts) + ".conf"), ""
        + "mqtt.listeners.tcp { host = \"127.0.0.1\", port = " + ports[0] + " }\n"
        + "mqtt.sys.interval = 0\n"
        + "mqtt.storage.data-dir = \"" + dataDir() + "\"\n"
        + "admin { host = \"127.0.0.1\", port = " + ports[2] + " }\n"
        + "metrics { host = \"127.0.0.1\", port = " + ports[1] + " }\n"
        + extraHocon);
    process = ChildProcess.java(Map.of(), NodeMain.class.getName(), "--config", conf.toString());
    return process;
  }

  /** {@link #launch} and waits until the node says it started. */
  ChildProcess start() throws IOException, InterruptedException {
    launch().awaitLine(Pattern.compile("node n1 started"), 60);
    return process;
  }

  ChildProcess process() {
    return process;
  }

  int mqttPort() {
    return ports[0];
  }

  int metricsPort() {
    return ports[1];
  }

  int adminPort() {
    return ports[2];
  }

  /** The value of an unlabelled metric on the node's /metrics; -1 if absent or unreachable. */
  double metric(String name) {
    try {
      String text = HTTP.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + metricsPort() + "/metrics")).build(),
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

  /** kill -9 of the process this test started, by its pid; waits until it is gone. */
  void kill9() throws Exception {
    Process kill = new ProcessBuilder("kill", "-9", Long.toString(process.pid())).start();
    assertEquals(0, kill.waitFor());
    assertEquals(137, process.awaitExit(30), "killed by SIGKILL");
  }

  @Override
  public void close() {
    if (process != null) {
      process.close();
    }
  }
}

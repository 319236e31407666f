package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node as operators run it: a separate JVM, its exit code and its output. The node's main is
 * started with this JVM's classpath, because during {@code mvn verify} the jar that
 * bin/start-node.sh runs is only built after the tests; {@link StartNodeScriptIT} runs the script.
 */
class StartNodeScriptTest {

  private static final String MAIN = NodeMain.class.getName();

  /** The startup line; group 1 is the port the broker really bound. */
  private static final Pattern STARTED =
      Pattern.compile("si-mqtt \\S+ node n1 started: mqtt tcp://127\\.0\\.0\\.1:(\\d+)$");

  @TempDir Path dir;

  @Test
  void badValueInFileExits2WithOneLineNamingTheKey() throws Exception {
    Path conf = Files.writeString(dir.resolve("bad.conf"), "mqtt.limits.receive-maximum = 0\n");
    try (ChildProcess node = ChildProcess.java(Map.of(), MAIN, "--config", conf.toString())) {
      assertEquals(2, node.awaitExit(30));
      assertEquals("si-mqtt: config error: mqtt.limits.receive-maximum = 0 is out of range"
          + " (1..65535) (set in " + conf + " line 1)\n", node.stderr());
      assertEquals(List.of(), node.stdoutLines(), "nothing else happens before the error");
    }
  }

  @Test
  void typoInFileIsRefused() throws Exception {
    Path conf = Files.writeString(dir.resolve("typo.conf"), "mqtt.listeners.tcp { prot = 1884 }\n");
    try (ChildProcess node = ChildProcess.java(Map.of(), MAIN, "--config=" + conf)) {
      assertEquals(2, node.awaitExit(30));
      assertTrue(node.stderr().startsWith(
          "si-mqtt: config error: unknown key mqtt.listeners.tcp.prot (did you mean port?)"), node.stderr());
    }
  }

  @Test
  void missingFileFromEnvironmentIsNamed() throws Exception {
    Path missing = dir.resolve("absent.conf");
    try (ChildProcess node =
        ChildProcess.java(Map.of("SI_CFG_PATH", missing.toString()), MAIN)) {
      assertEquals(2, node.awaitExit(30));
      assertEquals("si-mqtt: config error: config file " + missing
          + " (from SI_CFG_PATH) does not exist\n", node.stderr());
    }
  }

  @Test
  void badEnvironmentOverrideNamesKeyAndVariable() throws Exception {
    try (ChildProcess node =
        ChildProcess.java(Map.of("SIMQTT_MQTT__LISTENERS__TCP__PORT", "99999"), MAIN)) {
      assertEquals(2, node.awaitExit(30));
      assertEquals("si-mqtt: config error: mqtt.listeners.tcp.port = 99999 is out of range (0..65535)"
          + " (set in environment variable SIMQTT_MQTT__LISTENERS__TCP__PORT)\n", node.stderr());
    }
  }

  @Test
  void aChainNamingNoPluginExits2NamingTheKey() throws Exception {
    Path plugins = Files.createDirectories(dir.resolve("plugins"));
    Path conf = Files.writeString(dir.resolve("chain.conf"), "mqtt.listeners.tcp.port = 0\n"
        + "admin.enabled = false\nmetrics.enabled = false\n"
        + "mqtt.auth { plugin-dir = \"" + plugins + "\", chain = [ldap] }\n");
    try (ChildProcess node = ChildProcess.java(Map.of(), MAIN, "--config", conf.toString())) {
      assertEquals(2, node.awaitExit(30));
      assertEquals("si-mqtt: config error: mqtt.auth.chain names ldap, but no plug-in in "
          + plugins + " has that name (found: none)\n", node.stderr());
    }
  }

  @Test
  void unknownArgumentExits2() throws Exception {
    try (ChildProcess node = ChildProcess.java(Map.of(), MAIN, "--port", "1")) {
      assertEquals(2, node.awaitExit(30));
      assertEquals("si-mqtt: unknown argument --port (try --help)\n", node.stderr());
    }
  }

  @Test
  void helpAndVersionExit0() throws Exception {
    try (ChildProcess node = ChildProcess.java(Map.of(), MAIN, "--help")) {
      assertEquals(0, node.awaitExit(30));
      assertTrue(node.stdoutLines().get(0).startsWith("usage: start-node.sh"));
    }
    try (ChildProcess node = ChildProcess.java(Map.of(), MAIN, "--version")) {
      assertEquals(0, node.awaitExit(30));
      // Classes, not the jar: no manifest, so the fallback.
      assertEquals(List.of("si-mqtt dev"), node.stdoutLines());
    }
  }

  @Test
  void sigtermStopsWithExitCode0() throws Exception {
    // The signal wiring on its own, apart from the broker.
    try (ChildProcess probe = ChildProcess.java(Map.of(), StopSignalsProbe.class.getName())) {
      probe.awaitLine(Pattern.compile("^ready$"), 30);
      probe.terminate();
      assertEquals(0, probe.awaitExit(10));
    }
  }

  @Test
  void startsAcceptsAConnectionAndExits0OnSigterm() throws Exception {
    Path conf = Files.writeString(dir.resolve("node.conf"),
        "mqtt.listeners.tcp { host = \"127.0.0.1\", port = 0 }\nadmin.port = 0\nmetrics.port = 0\n");
    try (ChildProcess node = ChildProcess.java(Map.of(), MAIN, "--config", conf.toString())) {
      Matcher started = node.awaitLine(STARTED, 30);
      int port = Integer.parseInt(started.group(1));
      assertTrue(port > 0, "the line shows the bound port, not 0");
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      }
      node.terminate();
      assertEquals(0, node.awaitExit(10));
      node.awaitLine(Pattern.compile("node n1 stopped$"), 5);
    }
  }
}

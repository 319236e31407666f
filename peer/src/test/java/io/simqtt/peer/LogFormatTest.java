package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node's own logback.xml, in a real node process: text with a zoned date, or JSON lines. */
class LogFormatTest {
  private static final String MAIN = NodeMain.class.getName();

  @TempDir Path dir;

  private List<String> nodeOptions() throws Exception {
    URL shipped = NodeMain.class.getResource("/logback.xml");
    assertTrue(shipped != null && "file".equals(shipped.getProtocol()), "main logback.xml");
    return List.of("-Dlogback.configurationFile=" + Path.of(shipped.toURI()));
  }

  private Path config() throws Exception {
    return Files.writeString(dir.resolve("node.conf"), "node.id = log-node\n"
        + "mqtt.listeners.tcp { host = \"127.0.0.1\", port = 0 }\nadmin.port = 0\nmetrics.port = 0\n");
  }

  @Test
  void textLinesStartWithDateTimeAndZone() throws Exception {
    try (ChildProcess node = ChildProcess.java(
        nodeOptions(), Map.of(), MAIN, "--config", config().toString())) {
      node.awaitLine(Pattern.compile(
          "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}(Z|[+-]\\d{2}:\\d{2}) INFO .*"
              + "node log-node started"), 30);
      node.terminate();
      assertEquals(0, node.awaitExit(10));
    }
  }

  @Test
  void jsonLinesNameTheNode() throws Exception {
    try (ChildProcess node = ChildProcess.java(nodeOptions(),
        Map.of(LogSetup.FORMAT_VARIABLE, "json"), MAIN, "--config", config().toString())) {
      String line = node.awaitLine(Pattern.compile("^\\{.*node log-node started.*$"), 30).group();
      JsonObject event = JsonParser.parseString(line).getAsJsonObject();
      assertEquals("INFO", event.get("level").getAsString());
      assertEquals("log-node", event.getAsJsonObject("context").getAsJsonObject("properties")
          .get("node").getAsString());
      assertTrue(event.get("formattedMessage").getAsString().contains("node log-node started"));
      assertTrue(event.get("timestamp").getAsLong() > 0);
      node.terminate();
      assertEquals(0, node.awaitExit(10));
      for (String l : node.stdoutLines()) {
        JsonParser.parseString(l).getAsJsonObject(); // every line is one JSON object
      }
    }
  }

  @Test
  void unknownFormatExits2BeforeAnythingElse() throws Exception {
    try (ChildProcess node = ChildProcess.java(nodeOptions(),
        Map.of(LogSetup.FORMAT_VARIABLE, "xml"), MAIN, "--config", config().toString())) {
      assertEquals(2, node.awaitExit(30));
      assertEquals("si-mqtt: SIMQTT_LOG_FORMAT is \"xml\": use text or json\n", node.stderr());
      assertEquals(List.of(), node.stdoutLines());
    }
  }
}

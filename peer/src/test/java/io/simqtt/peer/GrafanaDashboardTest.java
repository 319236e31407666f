package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.simqtt.config.ListenerSettings;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.it.RawClient;
import io.simqtt.peer.metrics.MetricsServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * examples/grafana/si-mqtt.json cannot drift from the code: every metric its PromQL reads is
 * served by a live node of a two-node cluster (so the peer-link series exist too).
 */
class GrafanaDashboardTest {
  /** PromQL words that are not metric names. */
  private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring",
      "group_left", "group_right", "bool", "and", "or", "unless", "offset");
  private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

  /** The metric names of one PromQL expression. */
  static Set<String> metricNames(String expr) {
    String e = expr
        .replaceAll("\\{[^}]*}", " ") // label matchers
        .replaceAll("\\[[^]]*]", " ") // ranges
        .replaceAll("\\b(by|without|on|ignoring)\\s*\\([^)]*\\)", " ") // grouping labels
        .replaceAll("\"[^\"]*\"", " ");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(e);
    while (m.find()) {
      String word = m.group();
      boolean call = e.substring(m.end()).stripLeading().startsWith("(");
      boolean number = word.matches("\\d.*");
      if (!call && !number && !KEYWORDS.contains(word)) {
        names.add(word);
      }
    }
    return names;
  }

  private static List<String> expressions(JsonElement node, List<String> out) {
    if (node.isJsonObject()) {
      JsonObject o = node.getAsJsonObject();
      if (o.has("expr")) {
        out.add(o.get("expr").getAsString());
      }
      o.entrySet().forEach(e -> expressions(e.getValue(), out));
    } else if (node.isJsonArray()) {
      node.getAsJsonArray().forEach(e -> expressions(e, out));
    }
    return out;
  }

  /** Metric names in Prometheus text: from samples, with or without labels. */
  private static Set<String> served(String text) {
    Set<String> names = new TreeSet<>();
    for (String line : text.split("\n")) {
      if (!line.isEmpty() && !line.startsWith("#")) {
        Matcher m = IDENTIFIER.matcher(line);
        if (m.lookingAt()) {
          names.add(m.group());
        }
      }
    }
    return names;
  }

  @Test
  void extractsNamesNotFunctionsOrLabels() {
    assertEquals(Set.of("simqtt_a_total"), metricNames(
        "sum by (instance, reason) (rate(simqtt_a_total{instance=~\"$instance\"}[$__rate_interval]))"));
    assertEquals(Set.of("a", "b"), metricNames("a / on (x) b"));
  }

  @Test
  void everyMetricTheDashboardReadsIsServed() throws Exception {
    JsonObject dashboard = JsonParser.parseString(Files.readString(
        RepoRoot.find().resolve("examples/grafana/si-mqtt.json"))).getAsJsonObject();
    List<String> exprs = expressions(dashboard.get("panels"), new ArrayList<>());
    assertTrue(exprs.size() >= 20, "panels' queries found: " + exprs.size());
    Set<String> used = new TreeSet<>();
    for (String expr : exprs) {
      Set<String> names = metricNames(expr);
      assertFalse(names.isEmpty(), "no metric in " + expr);
      used.addAll(names);
    }

    try (ClusterFixture cluster = ClusterFixture.start(2);
        MetricsServer metrics = new MetricsServer(cluster.broker(0), cluster.cluster(0), 0)) {
      metrics.start(new ListenerSettings("127.0.0.1", 0));
      // A refused CONNECT, so the refusal counter has a series (3.1.1: an empty client id
      // needs a clean session).
      try (RawClient c = RawClient.open("127.0.0.1", cluster.mqttPort(0), MqttVersion.MQTT_3_1_1)) {
        int refusal = c.connect(
            RawClient.connectPacket(MqttVersion.MQTT_3_1_1, "", false, 30, null)).reasonCode();
        assertTrue(refusal != 0, "empty client id without clean session refused");
      }
      String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
              "http://127.0.0.1:" + metrics.port() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      Set<String> missing = new TreeSet<>(used);
      missing.removeAll(served(text));
      assertEquals(Set.of(), missing, "dashboard metrics the node does not serve");
    }
  }
}

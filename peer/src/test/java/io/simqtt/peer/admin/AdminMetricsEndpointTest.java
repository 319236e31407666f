package io.simqtt.peer.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.it.RawClient;
import io.simqtt.core.session.SessionInboxes;
import io.simqtt.core.session.SessionRegistry;
import io.simqtt.proto.admin.GetMetricsRequest;
import io.simqtt.proto.admin.MetricsResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Scrapes /metrics before and after known traffic: the counters move by exactly that much. */
class AdminMetricsEndpointTest {

  private static String scrape(AdminTestNode node) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
        "http://127.0.0.1:" + node.metrics.port() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    return r.body();
  }

  private static double value(String text, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(text);
    assertTrue(m.find(), series + " not in:\n" + text);
    return Double.parseDouble(m.group(1));
  }

  @Test
  void countersMoveByTheTrafficSent() throws Exception {
    try (AdminTestNode node = new AdminTestNode("")) {
      String before = scrape(node);
      Mqtt5BlockingClient sub = node.client("m-sub");
      sub.subscribeWith().topicFilter("m/#").qos(MqttQos.AT_LEAST_ONCE).send();
      Mqtt5BlockingClient pub = node.client("m-pub");
      for (int i = 0; i < 4; i++) {
        pub.publishWith().topic("m/a").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[10]).send();
      }
      pub.publishWith().topic("nobody/here").qos(MqttQos.AT_MOST_ONCE).payload(new byte[3])
          .send();
      pub.publishWith().topic("m/r").qos(MqttQos.AT_LEAST_ONCE).retain(true)
          .payload(new byte[1]).send();
      String after = null;
      long deadline = System.currentTimeMillis() + 5000;
      while (System.currentTimeMillis() < deadline) {
        after = scrape(node);
        if (value(after, "simqtt_messages_sent_total{qos=\"1\"}") >= 5) {
          break;
        }
        Thread.sleep(50);
      }
      assertEquals(5, value(after, "simqtt_messages_received_total{qos=\"1\"}")
          - value(before, "simqtt_messages_received_total{qos=\"1\"}"));
      assertEquals(1, value(after, "simqtt_messages_received_total{qos=\"0\"}")
          - value(before, "simqtt_messages_received_total{qos=\"0\"}"));
      assertEquals(44, value(after, "simqtt_bytes_received_total")
          - value(before, "simqtt_bytes_received_total"));
      assertEquals(5, value(after, "simqtt_messages_sent_total{qos=\"1\"}")
          - value(before, "simqtt_messages_sent_total{qos=\"1\"}"));
      assertEquals(41, value(after, "simqtt_bytes_sent_total")
          - value(before, "simqtt_bytes_sent_total"));
      assertEquals(1, value(after, "simqtt_messages_dropped_total{reason=\"no_subscribers\"}")
          - value(before, "simqtt_messages_dropped_total{reason=\"no_subscribers\"}"));
      assertEquals(2, value(after, "simqtt_connections"));
      assertEquals(2, value(after, "simqtt_connections_accepted_total")
          - value(before, "simqtt_connections_accepted_total"));
      assertEquals(1, value(after, "simqtt_subscriptions"));
      assertEquals(1, value(after, "simqtt_retained_messages"));
      assertEquals(0, value(after, "simqtt_session_messages{state=\"queued\"}"));
      assertEquals(0, value(after, "simqtt_connections_session_read_timeouts_total"));
      assertEquals(0, value(after, "simqtt_connections_auth_check_timeouts_total"));
      assertEquals(0, value(after, "simqtt_connections_claim_timeouts_total"));
      assertEquals(0, value(after, "simqtt_auth_permissions_questions_abandoned_total"));
      assertTrue(after.contains("jvm_memory_used_bytes"), "JVM memory metrics");
      assertTrue(after.contains("jvm_gc_collection_seconds"), "JVM GC metrics");
      pub.disconnect();
      sub.disconnect();
    }
  }

  @Test
  void tombstonesDroppedForTheBoundAreCounted() throws Exception {
    try (AdminTestNode node = new AdminTestNode("mqtt.retained.max-tombstones = 10")) {
      Mqtt5BlockingClient pub = node.client("t-pub");
      for (int i = 0; i < 20; i++) {
        pub.publishWith().topic("tomb/" + i).qos(MqttQos.AT_LEAST_ONCE).retain(true)
            .payload(new byte[1]).send();
      }
      for (int i = 0; i < 20; i++) {
        pub.publishWith().topic("tomb/" + i).qos(MqttQos.AT_LEAST_ONCE).retain(true)
            .payload(new byte[0]).send();
      }
      String after = scrape(node);
      assertEquals(10, value(after, "simqtt_retained_tombstones_dropped_total"));
      assertEquals(10, value(after, "simqtt_retained_tombstones"));
      assertEquals(0, value(after, "simqtt_retained_messages"));
      pub.disconnect();
    }
  }

  /**
   * Reading the session totals must not touch every session: a task per session from the scrape
   * thread would give each idle session an inbox (~600 bytes) it keeps for good.
   */
  @Test
  void scrapesAndGetMetricsLeaveIdleSessionsAlone() throws Exception {
    int idle = 30;
    try (AdminTestNode node = new AdminTestNode("")) {
      SessionRegistry sessions = node.broker.sessions();
      List<RawClient> open = new ArrayList<>();
      try {
        for (int i = 0; i < idle; i++) {
          RawClient c =
              RawClient.open("127.0.0.1", node.broker.mqttAddress().getPort(), MqttVersion.MQTT_5);
          c.connect("idle-" + i, true, 0, RawClient.sessionExpiry(300));
          c.subscribe("idle/" + i, 1);
          if (i % 2 == 0) {
            open.add(c);
          } else {
            c.close();
          }
        }
        assertEquals(idle, sessions.size());
        assertEquals(0, SessionInboxes.count(sessions), "idle sessions before any read");

        String text = scrape(node);
        assertEquals(0, value(text, "simqtt_session_messages{state=\"queued\"}"));
        assertEquals(0, value(text, "simqtt_session_messages{state=\"inflight\"}"));
        MetricsResponse m = node.stub().getMetrics(GetMetricsRequest.getDefaultInstance());
        assertEquals(0, m.getNodes(0).getQueued());
        assertEquals(idle, m.getNodes(0).getSessions());

        assertEquals(0, SessionInboxes.count(sessions), "session inboxes made by the reads");
      } finally {
        open.forEach(RawClient::close);
      }
    }
  }
}

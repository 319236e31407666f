package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.hiveConnected;
import static io.simqtt.core.it.Clients.inbox;
import static io.simqtt.core.it.Clients.take;
import static io.simqtt.core.it.Clients.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** $SYS/broker/... figures reach a real subscriber; clients cannot publish there. */
class SysTopicsTest {
  private static final String[] LOADS = {"messages/received", "messages/sent",
      "publish/received", "publish/sent", "bytes/received", "bytes/sent", "connections",
      "sockets"};

  @Test
  void subscriberSeesMosquittoNamedFiguresThatMove() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.sys.interval = 200ms")) {
      Mqtt5BlockingClient sub = hiveConnected(f, "sys-sub");
      BlockingQueue<Mqtt5Publish> in = inbox(sub);
      sub.subscribeWith().topicFilter("$SYS/broker/#").send();
      List<String> expected = new ArrayList<>(List.of("version", "uptime", "clients/connected",
          "clients/disconnected", "clients/total", "messages/received", "messages/sent",
          "bytes/received", "bytes/sent", "subscriptions/count", "retained messages/count"));
      for (String load : LOADS) {
        for (String window : new String[] {"1min", "5min", "15min"}) {
          expected.add("load/" + load + "/" + window);
        }
      }
      Map<String, String> seen = new HashMap<>();
      while (!seen.keySet().containsAll(
          expected.stream().map(n -> "$SYS/broker/" + n).collect(Collectors.toList()))) {
        Mqtt5Publish p = take(in);
        seen.put(p.getTopic().toString(), text(p));
      }
      assertEquals(11 + 3 * LOADS.length, seen.size(), seen.keySet().toString());
      assertTrue(seen.get("$SYS/broker/version").startsWith("si-mqtt "), seen.toString());
      assertTrue(seen.get("$SYS/broker/uptime").endsWith(" seconds"), seen.toString());
      for (String name : expected) {
        if (name.startsWith("load/")) {
          String v = seen.get("$SYS/broker/" + name);
          assertTrue(v.matches("\\d+\\.\\d\\d"), name + " = " + v);
        }
      }
      // The retained round sent on SUBSCRIBE predates it; a later round counts it.
      awaitValue(in, "$SYS/broker/subscriptions/count", "1");

      // Known traffic, then the next round shows it.
      Mqtt5BlockingClient pub = hiveConnected(f, "sys-pub");
      for (int i = 0; i < 3; i++) {
        pub.publishWith().topic("t/x").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("hello")).send();
      }
      awaitValue(in, "$SYS/broker/messages/received", "3");
      awaitValue(in, "$SYS/broker/bytes/received", "15");
      awaitValue(in, "$SYS/broker/clients/connected", "2");
      awaitPositive(in, "$SYS/broker/load/messages/received/1min");
      awaitPositive(in, "$SYS/broker/load/publish/received/1min");
      awaitPositive(in, "$SYS/broker/load/bytes/received/15min");
      awaitPositive(in, "$SYS/broker/load/connections/1min");
      awaitPositive(in, "$SYS/broker/load/sockets/1min");
      pub.disconnect();
      sub.disconnect();
    }
  }

  @Test
  void aLateSubscriberGetsTheRetainedFiguresAndDollarRuleHolds() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.sys.interval = 100ms")) {
      Clients.await("first round", () -> f.broker().retained().get(
          "$SYS/broker/version") != null);
      Mqtt5BlockingClient sub = hiveConnected(f, "sys-late");
      BlockingQueue<Mqtt5Publish> in = inbox(sub);
      sub.subscribeWith().topicFilter("$SYS/broker/version").send();
      Mqtt5Publish p = take(in);
      assertTrue(p.isRetain());
      // "#" never matches $SYS topics (MQTT 4.7.2), so dashboards subscribed to # see nothing.
      assertTrue(f.broker().retained().match("#", System.currentTimeMillis()).isEmpty());
      sub.disconnect();
    }
  }

  @Test
  void clientsCannotPublishUnderSys() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.sys.interval = 0")) {
      Mqtt5BlockingClient pub = hiveConnected(f, "sys-faker");
      Executable fake = () -> pub.publishWith().topic("$SYS/broker/version").retain(true)
          .qos(MqttQos.AT_LEAST_ONCE).payload(bytes("fake")).send();
      Mqtt5PubAckException e =
          org.junit.jupiter.api.Assertions.assertThrows(Mqtt5PubAckException.class, fake);
      assertEquals(Mqtt5PubAckReasonCode.NOT_AUTHORIZED, e.getMqttMessage().getReasonCode());
      pub.publishWith().topic("$SYS/x").qos(MqttQos.AT_MOST_ONCE).payload(bytes("q0")).send();
      // Still connected and nothing was kept.
      pub.publishWith().topic("ok/t").qos(MqttQos.AT_LEAST_ONCE).retain(true)
          .payload(bytes("ok")).send();
      assertNull(f.broker().retained().get("$SYS/broker/version"));
      assertNull(f.broker().retained().get("$SYS/x"));
      pub.disconnect();
    }
  }

  private static void awaitPositive(BlockingQueue<Mqtt5Publish> in, String topic)
      throws InterruptedException {
    while (true) {
      Mqtt5Publish p = take(in);
      if (p.getTopic().toString().equals(topic) && Double.parseDouble(text(p)) > 0) {
        return;
      }
    }
  }

  private static void awaitValue(BlockingQueue<Mqtt5Publish> in, String topic, String value)
      throws InterruptedException {
    while (true) {
      Mqtt5Publish p = take(in);
      if (p.getTopic().toString().equals(topic) && text(p).equals(value)) {
        return;
      }
    }
  }
}

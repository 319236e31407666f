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
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** $SYS/broker/... figures reach a real subscriber; clients cannot publish there. */
class SysTopicsTest {

  @Test
  void subscriberSeesMosquittoNamedFiguresThatMove() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.sys.interval = 200ms")) {
      Mqtt5BlockingClient sub = hiveConnected(f, "sys-sub");
      BlockingQueue<Mqtt5Publish> in = inbox(sub);
      sub.subscribeWith().topicFilter("$SYS/broker/#").send();
      Map<String, String> seen = new HashMap<>();
      while (seen.size() < 11) {
        Mqtt5Publish p = take(in);
        seen.put(p.getTopic().toString(), text(p));
      }
      assertTrue(seen.get("$SYS/broker/version").startsWith("si-mqtt "), seen.toString());
      assertTrue(seen.get("$SYS/broker/uptime").endsWith(" seconds"), seen.toString());
      for (String name : new String[] {"clients/connected", "clients/total", "messages/received",
          "messages/sent", "bytes/received", "bytes/sent", "subscriptions/count",
          "retained messages/count"}) {
        assertTrue(seen.containsKey("$SYS/broker/" + name), name + " missing: " + seen);
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

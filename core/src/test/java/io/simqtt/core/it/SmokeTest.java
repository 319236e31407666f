package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.hiveClient;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SmokeTest {
  @Test
  void publishReachesSubscriber() throws Exception {
    try (BrokerFixture f = BrokerFixture.start()) {
      Mqtt5BlockingClient sub =
          hiveClient(f, "sub");
      sub.connect();
      try (var publishes = sub.publishes(MqttGlobalPublishFilter.ALL)) {
        sub.subscribeWith().topicFilter("a/#").qos(MqttQos.EXACTLY_ONCE).send();
        Mqtt5BlockingClient pub =
            hiveClient(f, "pub");
        pub.connect();
        for (int q = 0; q < 3; q++) {
          pub.publishWith().topic("a/b").qos(MqttQos.fromCode(q)).payload(("m" + q).getBytes()).send();
        }
        for (int q = 0; q < 3; q++) {
          Mqtt5Publish m = publishes.receive(5, TimeUnit.SECONDS).orElseThrow();
          assertEquals("m" + q, new String(m.getPayloadAsBytes(), StandardCharsets.UTF_8));
          assertEquals(q, m.getQos().getCode());
        }
        pub.disconnect();
      }
      sub.disconnect();
    }
  }
}

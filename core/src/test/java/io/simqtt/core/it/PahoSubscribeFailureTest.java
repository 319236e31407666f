package io.simqtt.core.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Eclipse Paho interoperability suite's subscribe-failure case, with the Paho clients and the
 * ACL an operator would give a broker under that suite: anonymous clients may do anything but
 * subscribe to {@code test/nosubscribe}. The suite's MQTT 3.1.1 test expects SUBACK 0x80 and gets
 * it; its MQTT 5 test expects 0x80 (Unspecified error) too, where a broker that refuses by its
 * ACL says 0x87 (Not authorized), as si-mqtt and Mosquitto do.
 */
class PahoSubscribeFailureTest {
  private static final String ACL = """
      topic readwrite #
      topic deny test/nosubscribe
      """;

  @TempDir static Path dir;
  private static BrokerFixture f;

  @BeforeAll
  static void start() throws Exception {
    Path acl = Files.writeString(dir.resolve("acl"), ACL);
    f = BrokerFixture.start("mqtt.auth.acl-file = \"" + acl + "\"\n");
  }

  @AfterAll
  static void stop() {
    if (f != null) {
      f.close();
    }
  }

  @Test
  void mqtt311SubscribeToTheForbiddenTopicIsRefusedWith0x80() throws Exception {
    MqttClient c = new MqttClient(f.uri(), "myclientid", new MemoryPersistence());
    MqttConnectOptions o = new MqttConnectOptions();
    o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    c.connect(o);
    IMqttToken refused = c.subscribeWithResponse("test/nosubscribe", 2);
    assertArrayEquals(new int[] {0x80}, refused.getGrantedQos());
    IMqttToken allowed = c.subscribeWithResponse("TopicA/#", 2);
    assertArrayEquals(new int[] {2}, allowed.getGrantedQos(), "everything else is allowed");
    c.disconnect();
    c.close();
  }

  @Test
  void mqtt5SubscribeToTheForbiddenTopicIsNotAuthorized() throws Exception {
    org.eclipse.paho.mqttv5.client.MqttClient c = new org.eclipse.paho.mqttv5.client.MqttClient(
        f.uri(), "myclientid5", new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
    c.connect(new MqttConnectionOptions());
    var refused = c.subscribe(new MqttSubscription[] {new MqttSubscription("test/nosubscribe", 2)},
        null);
    assertEquals(0x87, refused.getReasonCodes()[0]);
    c.disconnect();
    c.close();
  }
}

package io.simqtt.core.it;

import java.util.concurrent.BlockingQueue;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttMessage;

/** Paho helpers for core's tests (kept apart from {@link Clients}, which peer's tests load). */
final class PahoClients {
  private PahoClients() {}

  /** A Paho (3.1 / 3.1.1) callback adding every message to {@code sink} (null: dropped). */
  static MqttCallback collectInto(BlockingQueue<MqttMessage> sink) {
    return new MqttCallback() {
      @Override
      public void connectionLost(Throwable cause) {}

      @Override
      public void messageArrived(String topic, MqttMessage message) {
        if (sink != null) {
          sink.add(message);
        }
      }

      @Override
      public void deliveryComplete(IMqttDeliveryToken token) {}
    };
  }
}

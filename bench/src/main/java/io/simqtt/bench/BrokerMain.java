package io.simqtt.bench;

import io.simqtt.config.SettingsException;
import io.simqtt.config.SettingsLoader;
import io.simqtt.core.Broker;
import java.util.concurrent.CountDownLatch;

/**
 * A single-node si-mqtt broker for benchmarks when the node launcher ({@code bin/start-node.sh})
 * is not available: the core {@link Broker} with settings from {@code --config}, {@code
 * SI_CFG_PATH} and the environment (for example {@code SIMQTT_MQTT__LISTENERS__TCP__PORT}). Runs until
 * SIGTERM/SIGINT.
 */
public final class BrokerMain {
  private BrokerMain() {}

  public static void main(String[] args) throws InterruptedException {
    Broker broker;
    try {
      broker = new Broker(SettingsLoader.load(args));
    } catch (SettingsException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  broker.close();
                  stopped.countDown();
                },
                "broker-shutdown"));
    broker.start();
    System.out.println("si-mqtt (bench BrokerMain) listening on " + broker.mqttAddress());
    stopped.await();
  }
}

package io.simqtt.core;

import io.simqtt.config.NodeSettings;
import java.net.InetSocketAddress;

/** A running MQTT broker node. */
public final class Broker implements AutoCloseable {

  private final NodeSettings settings;

  public Broker(NodeSettings settings) {
    this.settings = settings;
  }

  /** Binds the listeners; returns once they accept connections. */
  public void start() throws InterruptedException {
    throw new UnsupportedOperationException("in progress");
  }

  /** The bound MQTT TCP address (the real port when 0 was configured). */
  public InetSocketAddress mqttAddress() {
    throw new UnsupportedOperationException("in progress");
  }

  /**
   * Stops accepting, sends DISCONNECT 0x8B (Server shutting down) to every MQTT 5 client, closes
   * every connection and releases the threads. Idempotent.
   */
  @Override
  public void close() {}
}

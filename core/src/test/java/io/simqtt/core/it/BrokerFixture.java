package io.simqtt.core.it;

import io.simqtt.config.SettingsLoader;
import io.simqtt.core.Broker;
import io.simqtt.core.cluster.Cluster;
import io.simqtt.core.retain.MemoryRetainedStore;
import io.simqtt.core.session.SessionStore;

/** A real broker on 127.0.0.1 and an OS-chosen port, for tests. */
public final class BrokerFixture implements AutoCloseable {
  private final Broker broker;

  private BrokerFixture(Broker broker) {
    this.broker = broker;
  }

  /** Starts a broker with the defaults plus {@code hocon} (may be empty). */
  public static BrokerFixture start(String hocon) {
    return start(hocon, SessionStore.MEMORY);
  }

  /** As {@link #start(String)}, its sessions kept in {@code store} too (and recovered from it). */
  public static BrokerFixture start(String hocon, SessionStore store) {
    return start(hocon, store, Cluster.SINGLE_NODE);
  }

  /** As {@link #start(String, SessionStore)}, a node of {@code cluster}. */
  public static BrokerFixture start(String hocon, SessionStore store, Cluster cluster) {
    String conf = "mqtt.listeners.tcp { host = \"127.0.0.1\", port = 0 }\n" + hocon;
    Broker b = new Broker(SettingsLoader.fromString(conf), cluster,
        MemoryRetainedStore::new, store);
    try {
      b.start();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return new BrokerFixture(b);
  }

  /**
   * A broker with every transport on: the tls, ws and wss listeners as well as tcp, tls and wss
   * presenting {@code server}.
   */
  public static BrokerFixture startWithEveryTransport(TestPki.Issued server) {
    return start(
        "mqtt.listeners.tls { enabled = true, host = 127.0.0.1, port = 0 }\n"
            + "mqtt.listeners.ws { enabled = true, host = 127.0.0.1, port = 0 }\n"
            + "mqtt.listeners.wss { enabled = true, host = 127.0.0.1, port = 0 }\n"
            + "mqtt.tls { cert-file = \"" + server.cert() + "\", key-file = \""
            + server.key() + "\" }\n");
  }

  public static BrokerFixture start() {
    return start("");
  }

  public Broker broker() {
    return broker;
  }

  public String host() {
    return "127.0.0.1";
  }

  public int port() {
    return broker.mqttAddress().getPort();
  }

  public String uri() {
    return "tcp://127.0.0.1:" + port();
  }

  @Override
  public void close() {
    broker.close();
  }
}

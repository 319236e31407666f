package io.simqtt.core.server;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.hiveBuilder;
import static io.simqtt.core.it.Clients.hiveConnected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.simqtt.config.SettingsLoader;
import io.simqtt.core.Broker;
import io.simqtt.core.auth.AuthDecision;
import io.simqtt.core.auth.Authenticator;
import io.simqtt.core.auth.ConnectAttempt;
import io.simqtt.core.it.BrokerFixture;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** Several listeners on one node: each accepts, counts its own and tells authenticators its name. */
class ListenersTest {

  /** Remembers the listener each client came in on, and lets everyone in. */
  private static final class Recorder implements Authenticator {
    final Map<String, String> listenerOf = new ConcurrentHashMap<>();

    @Override
    public String name() {
      return "recorder";
    }

    @Override
    public AuthDecision authenticate(ConnectAttempt attempt) {
      listenerOf.put(attempt.clientId(), attempt.listener());
      return AuthDecision.allow();
    }
  }

  @Test
  void eachListenerAcceptsCountsAndNamesItself() {
    try (BrokerFixture f = BrokerFixture.start(
        "mqtt.listeners.internal { type = tcp, host = 127.0.0.1, port = 0 }")) {
      Broker b = f.broker();
      Recorder recorder = new Recorder();
      b.authentication().use(List.of(recorder), List.of());
      assertEquals(List.of("tcp", "internal"), b.listeners().stream().map(l -> l.name()).toList());
      int internalPort = b.listener("internal").address().getPort();
      assertNotEquals(f.port(), internalPort);

      Mqtt5BlockingClient a = hiveConnected(hiveBuilder("127.0.0.1", f.port(), "via-tcp"));
      Mqtt5BlockingClient c = hiveConnected(hiveBuilder("127.0.0.1", internalPort, "via-internal"));
      assertEquals("tcp", recorder.listenerOf.get("via-tcp"));
      assertEquals("internal", recorder.listenerOf.get("via-internal"));
      assertEquals(1, b.listener("tcp").connections());
      assertEquals(1, b.listener("internal").connections());
      assertEquals("tcp://127.0.0.1:" + internalPort, b.listener("internal").url());

      c.disconnect();
      await("internal listener's connection count back to 0",
          () -> b.listener("internal").connections() == 0);
      assertEquals(1, b.listener("tcp").connections());
      a.disconnect();
    }
  }

  @Test
  void noListenerMeansNoMqttPortAndAClearAddress() {
    try (Broker b = new Broker(SettingsLoader.fromString("mqtt.listeners.tcp.enabled = false"))) {
      b.start();
      assertTrue(b.listeners().isEmpty());
      assertEquals(null, b.mqttAddress());
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aPortInUseNamesTheListener() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        Broker b = new Broker(SettingsLoader.fromString(
            "mqtt.listeners.tcp { host = 127.0.0.1, port = " + taken.getLocalPort() + " }"))) {
      UncheckedIOException e = assertThrows(UncheckedIOException.class, b::start);
      assertTrue(e.getMessage().startsWith("mqtt.listeners.tcp cannot listen on 127.0.0.1:"
          + taken.getLocalPort()), e.getMessage());
    }
  }
}

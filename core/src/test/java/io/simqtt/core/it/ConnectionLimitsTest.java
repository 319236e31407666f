package io.simqtt.core.it;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.disconnectQuietly;
import static io.simqtt.core.it.Clients.hiveConnected;
import static io.simqtt.core.it.Clients.inbox;
import static io.simqtt.core.it.Clients.take;
import static io.simqtt.core.it.Clients.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.overload.ConnectionGate;
import io.simqtt.core.overload.ConnectionGate.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * What a listener admits: its cap on open connections and its rate per source address, seen by
 * real clients over loopback. Sources other than 127.0.0.1 are other loopback addresses
 * (127.0.0.2, 127.0.0.3), which Linux routes like 127.0.0.1.
 */
class ConnectionLimitsTest {
  private static final InetAddress FLOODER = address("127.0.0.2");
  private static final InetAddress NEIGHBOUR = address("127.0.0.3");

  private static InetAddress address(String a) {
    try {
      return InetAddress.getByName(a);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static ConnectionGate gate(BrokerFixture f) {
    return f.broker().listenerGates().get(0);
  }

  /**
   * One connection from {@code local}: sends CONNECT and returns whether a CONNACK came back
   * (false: closed by the broker, or reset, without one). Closes the socket either way.
   */
  private static boolean connectsFrom(BrokerFixture f, InetAddress local, String clientId)
      throws IOException {
    try (Socket s = new Socket(InetAddress.getByName(f.host()), f.port(), local, 0)) {
      s.setSoTimeout(5000);
      try {
        s.getOutputStream().write(RawClient.encode(
            RawClient.connectPacket(MqttVersion.MQTT_5, clientId, true, 30, null),
            MqttVersion.MQTT_5));
        InputStream in = s.getInputStream();
        return in.read() == 0x20; // CONNACK's first byte
      } catch (SocketTimeoutException e) {
        throw new AssertionError("neither CONNACK nor close within 5 s for " + clientId, e);
      } catch (IOException reset) {
        return false;
      }
    }
  }

  @Test
  void connectionsBeyondTheListenersCapAreClosedAtOnceAndCounted() throws Exception {
    try (BrokerFixture f = BrokerFixture.start("mqtt.listeners.tcp.max-connections = 3\n")) {
      List<Mqtt5BlockingClient> clients = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          clients.add(hiveConnected(f, "capped-" + i));
        }
        assertEquals(3, gate(f).openConnections());

        try (RawClient fourth = RawClient.open(f, MqttVersion.MQTT_5)) {
          // Nothing sent: the broker closes it without reading anything, and says nothing.
          fourth.expectSilentClose(Duration.ofSeconds(5));
        }
        assertEquals(1, gate(f).rejected(Reason.MAX_CONNECTIONS));
        assertEquals(3, f.broker().metrics().connectionsOpened(), "never reached MQTT");

        clients.remove(0).disconnect();
        await("a freed place", () -> gate(f).openConnections() == 2);
        clients.add(hiveConnected(f, "capped-again"));
        assertEquals(1, gate(f).rejected(Reason.MAX_CONNECTIONS));
        assertEquals(0, gate(f).rejected(Reason.ADDRESS_RATE) + gate(f).rejected(Reason.LISTENER_RATE)
            + gate(f).rejected(Reason.HEAP_GUARD));
      } finally {
        clients.forEach(Clients::disconnectQuietly);
      }
    }
  }

  @Test
  void aFloodOfConnectsFromOneAddressIsHeldToItsRateWhileOthersKeepWorking() throws Exception {
    int rate = 20;
    try (BrokerFixture f = BrokerFixture.start(
            "mqtt.listeners.tcp.max-connection-rate-per-address = " + rate + "\n")) {
      Mqtt5BlockingClient subscriber = hiveConnected(f, "sub");
      Mqtt5BlockingClient publisher = hiveConnected(f, "pub");
      BlockingQueue<Mqtt5Publish> received = inbox(subscriber);
      subscriber.subscribeWith().topicFilter("work").qos(MqttQos.AT_LEAST_ONCE).send();

      // The flood: one connection after another from 127.0.0.2, for 2 s or 5,000 attempts.
      AtomicBoolean flooding = new AtomicBoolean(true);
      long[] window = new long[2];
      CompletableFuture<int[]> flood = CompletableFuture.supplyAsync(() -> {
        int accepted = 0;
        int attempts = 0;
        window[0] = System.nanoTime();
        long end = window[0] + TimeUnit.SECONDS.toNanos(2);
        try {
          while (attempts < 5000 && System.nanoTime() < end) {
            if (connectsFrom(f, FLOODER, "flood-" + attempts)) {
              accepted++;
            }
            attempts++;
          }
        } catch (IOException e) {
          throw new AssertionError(e);
        } finally {
          window[1] = System.nanoTime();
          flooding.set(false);
        }
        return new int[] {accepted, attempts};
      });

      // Meanwhile: messages keep flowing between connected clients, and another address
      // connects as often as it likes (well within its own rate).
      int roundTrips = 0;
      int neighbourConnects = 0;
      while (flooding.get() && roundTrips < 1000) {
        publisher.publishWith().topic("work").qos(MqttQos.AT_LEAST_ONCE)
            .payload(bytes("m" + roundTrips)).send();
        assertEquals("m" + roundTrips, text(take(received, Duration.ofSeconds(2))));
        roundTrips++;
        if (roundTrips % 10 == 0 && neighbourConnects < rate / 2) {
          // Within its own second's worth, however fast the round trips go.
          assertTrue(connectsFrom(f, NEIGHBOUR, "neighbour-" + neighbourConnects),
              "another address is refused during the flood");
          neighbourConnects++;
        }
      }
      int[] result = flood.get(30, TimeUnit.SECONDS);
      int accepted = result[0];
      int attempts = result[1];
      double seconds = (window[1] - window[0]) / 1e9;

      // One second's worth at once, then the rate, over the span the flood lasted.
      assertTrue(accepted >= rate, "the burst gets in: " + accepted);
      assertTrue(accepted <= rate + rate * seconds + 1,
          accepted + " of " + attempts + " accepted in " + seconds + " s");
      assertTrue(attempts >= 2 * accepted, "it was a flood: " + attempts + " attempts");
      assertEquals(attempts - accepted, gate(f).rejected(Reason.ADDRESS_RATE),
          "every refusal counted, and none of the other address's");
      assertTrue(roundTrips >= 20 && neighbourConnects >= 2, "work went on during the flood: "
          + roundTrips + " round trips, " + neighbourConnects + " connects from another address");
      System.out.printf("connect flood: %d of %d accepted in %.2f s; meanwhile %d round trips,"
          + " %d connects from another address%n",
          accepted, attempts, seconds, roundTrips, neighbourConnects);
      assertEquals(0, gate(f).addressesForgotten());
      disconnectQuietly(publisher);
      disconnectQuietly(subscriber);
    }
  }
}

package io.simqtt.core.server.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import io.simqtt.core.it.BrokerFixture;
import io.simqtt.core.it.TestPki;
import io.simqtt.core.it.TestPki.Ca;
import io.simqtt.core.it.TestPki.Issued;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGHUP and the admin API's reload read a TLS listener's files again at once, with the periodic
 * check off: a renewed certificate is served right after, and files that do not load are reported
 * (listener and what is wrong) while the previous certificate goes on serving.
 */
class TlsReloadOnRequestTest {
  @TempDir Path dir;

  @Test
  void aReloadServesRenewedFilesAndKeepsTheOldOnesWhenTheNewDoNotLoad() throws Exception {
    TestPki pki = new TestPki(dir);
    Ca first = pki.ca("first");
    Ca next = pki.ca("next");
    Issued renewed = next.server("broker");
    Issued original = first.server("broker");
    Path cert = Files.copy(original.cert(), dir.resolve("served.pem"));
    Path key = Files.copy(original.key(), dir.resolve("served.key"));
    try (BrokerFixture f = BrokerFixture.start(
        "mqtt.listeners.tls { enabled = true, host = 127.0.0.1, port = 0 }\n"
            + "mqtt.tls { cert-file = \"" + cert + "\", key-file = \"" + key + "\","
            + " reload-interval = 0 }\n")) {
      int port = f.broker().listener("tls").address().getPort();
      Files.copy(renewed.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
      Files.copy(renewed.key(), key, StandardCopyOption.REPLACE_EXISTING);
      // Nothing checks the files by itself: the node still presents the first certificate.
      assertThrows(RuntimeException.class, () -> client(port, next, "before").connect());

      assertEquals(List.of(), f.broker().reloadTls());
      Mqtt5BlockingClient after = client(port, next, "after");
      after.connect();
      after.disconnect();

      Files.writeString(key, "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n");
      List<String> problems = f.broker().reloadTls();
      assertEquals(1, problems.size(), "one listener's files do not load: " + problems);
      assertTrue(problems.get(0).startsWith("listener tls: "), problems.get(0));
      Mqtt5BlockingClient still = client(port, next, "still");
      still.connect();
      still.disconnect();
    }
  }

  private static Mqtt5BlockingClient client(int port, Ca trusted, String id) throws Exception {
    return Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(port)
        .sslConfig(MqttClientSslConfig.builder()
            .trustManagerFactory(TestPki.trust(trusted.cert())).build())
        .buildBlocking();
  }
}

package io.simqtt.core.server.tls;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.inbox;
import static io.simqtt.core.it.Clients.take;
import static io.simqtt.core.it.Clients.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.simqtt.core.it.BrokerFixture;
import io.simqtt.core.it.TestPki;
import io.simqtt.core.it.TestPki.Ca;
import io.simqtt.core.it.TestPki.Issued;
import io.simqtt.core.server.tls.HandshakeFailures.Reason;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * MQTT over TLS with a CA made at test time: HiveMQ and Paho connect; a client certificate's CN
 * becomes the user name; certificates from another CA, expired ones and none at all are refused
 * where the listener requires one, each with a log line naming why; a renewed certificate is
 * served without a restart. All of it with each TLS provider.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsListenerTest {
  private Path dir;
  private Ca ca;
  private Issued server;
  private Path serverCert;
  private Path serverKey;
  private BrokerFixture f;

  /** mqtt.tls.provider: OpenSSL (BoringSSL) where netty-tcnative loads, as where we build. */
  String provider() {
    return "auto";
  }

  /** The same tests with the JDK's TLS. */
  static class WithJdkProvider extends TlsListenerTest {
    @Override
    String provider() {
      return "jdk";
    }
  }

  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger failureLog = (Logger) LoggerFactory.getLogger(HandshakeFailures.class);

  @BeforeAll
  void start(@TempDir Path tmp) throws Exception {
    dir = tmp;
    TestPki pki = new TestPki(dir);
    ca = pki.ca("good");
    server = ca.server("broker");
    // Copies the node reads, so a test can replace them.
    serverCert = Files.copy(server.cert(), dir.resolve("served.pem"));
    serverKey = Files.copy(server.key(), dir.resolve("served.key"));
    Files.writeString(dir.resolve("passwd"), "");
    Files.writeString(dir.resolve("acl"), "pattern readwrite open/#\nuser alice\ntopic readwrite alice/#\n");
    f = BrokerFixture.start(
        "mqtt.listeners.tls { enabled = true, host = 127.0.0.1, port = 0, client-auth = optional }\n"
            + "mqtt.listeners.mtls { type = tls, host = 127.0.0.1, port = 0,"
            + " client-auth = required }\n"
            + "mqtt.tls { cert-file = \"" + serverCert + "\", key-file = \"" + serverKey + "\","
            + " ca-file = \"" + ca.cert() + "\", identity-as-user-name = true,"
            + " reload-interval = 100ms, provider = " + provider() + " }\n"
            + "mqtt.auth { password-file = \"" + dir.resolve("passwd") + "\","
            + " acl-file = \"" + dir.resolve("acl") + "\", failure-delay = 0s }\n"
            + "mqtt.features.allow-anonymous = true\n");
  }

  @AfterAll
  void stop() {
    if (f != null) {
      f.close();
    }
  }

  @BeforeEach
  void captureLogs() {
    logs.start();
    failureLog.addAppender(logs);
  }

  @AfterEach
  void releaseLogs() {
    failureLog.detachAppender(logs);
  }

  private int port(String listener) {
    return f.broker().listener(listener).address().getPort();
  }

  private Mqtt5BlockingClient hive(String listener, String id, Path trusted, Issued client)
      throws Exception {
    MqttClientSslConfig ssl = MqttClientSslConfig.builder()
        .trustManagerFactory(TestPki.trust(trusted))
        .keyManagerFactory(client == null ? null : TestPki.identity(client))
        .build();
    return Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(port(listener))
        .sslConfig(ssl).buildBlocking();
  }

  @Test
  void hiveMqPublishesAndReceivesOverTls() throws Exception {
    Mqtt5BlockingClient c = hive("tls", "hive-tls", ca.cert(), null);
    c.connect();
    BlockingQueue<Mqtt5Publish> in = inbox(c);
    c.subscribeWith().topicFilter("open/hive").qos(MqttQos.EXACTLY_ONCE).send();
    for (MqttQos qos : MqttQos.values()) {
      c.publishWith().topic("open/hive").qos(qos)
          .payload(("q" + qos.getCode()).getBytes(StandardCharsets.UTF_8)).send();
      assertEquals("q" + qos.getCode(), text(take(in)));
    }
    c.disconnect();
  }

  @Test
  void pahoPublishesAndReceivesOverTls() throws Exception {
    MqttClient c = new MqttClient("ssl://127.0.0.1:" + port("tls"), "paho-tls",
        new MemoryPersistence());
    MqttConnectionOptions o = new MqttConnectionOptions();
    o.setSocketFactory(TestPki.clientContext(ca.cert(), null).getSocketFactory());
    c.connect(o);
    BlockingQueue<MqttMessage> in = new LinkedBlockingQueue<>();
    c.subscribe(new org.eclipse.paho.mqttv5.common.MqttSubscription[] {
        new org.eclipse.paho.mqttv5.common.MqttSubscription("open/paho", 2)},
        new IMqttMessageListener[] {(topic, m) -> in.add(m)});
    c.publish("open/paho", "over tls".getBytes(StandardCharsets.UTF_8), 1, false);
    MqttMessage m = in.poll(5, TimeUnit.SECONDS);
    assertEquals("over tls", m == null ? null : new String(m.getPayload(), StandardCharsets.UTF_8));
    c.disconnect();
    c.close();
  }

  @Test
  void theCertificatesCnIsTheUserNameTheAclSees() throws Exception {
    // alice is in no password file: her certificate lets her in, as alice.
    Mqtt5BlockingClient c = hive("mtls", "alice-device", ca.cert(), ca.client("alice"));
    c.connect();
    assertEquals(Mqtt5SubAckReasonCode.GRANTED_QOS_1,
        c.subscribeWith().topicFilter("alice/inbox").qos(MqttQos.AT_LEAST_ONCE).send()
            .getReasonCodes().get(0));
    Mqtt5SubAckException refused = assertThrows(Mqtt5SubAckException.class,
        () -> c.subscribeWith().topicFilter("bob/inbox").qos(MqttQos.AT_LEAST_ONCE).send());
    assertEquals(Mqtt5SubAckReasonCode.NOT_AUTHORIZED,
        refused.getMqttMessage().getReasonCodes().get(0));
    c.disconnect();
  }

  @Test
  void aCertificateFromAnotherCaIsRefused() throws Exception {
    Ca other = new TestPki(dir).ca("other");
    assertRefused("mallory", other.client("mallory"), Reason.UNKNOWN_CA);
  }

  @Test
  void anExpiredCertificateIsRefused() throws Exception {
    assertRefused("old", ca.expired("old"), Reason.CERTIFICATE_EXPIRED);
  }

  @Test
  void noCertificateIsRefusedWhereOneIsRequired() throws Exception {
    assertRefused("anon", null, Reason.NO_CLIENT_CERTIFICATE);
  }

  private void assertRefused(String id, Issued cert, Reason reason) throws Exception {
    long before = f.broker().listener("mtls").handshakeFailures().getOrDefault(reason, 0L);
    Mqtt5BlockingClient c = hive("mtls", id, ca.cert(), cert);
    assertThrows(RuntimeException.class, c::connect);
    await(reason + " counted", () ->
        f.broker().listener("mtls").handshakeFailures().getOrDefault(reason, 0L) == before + 1);
    String line = logs.list.stream().map(ILoggingEvent::getFormattedMessage)
        .filter(m -> m.contains("(" + reason.label() + ")")).findFirst().orElse(null);
    assertTrue(line != null && line.startsWith("listener mtls: TLS handshake with 127.0.0.1:"),
        "log lines: " + logs.list);
  }

  @Test
  void aRenewedCertificateIsServedWithoutARestart() throws Exception {
    Ca next = new TestPki(dir).ca("next");
    Issued renewed = next.server("broker");
    // A client trusting only the new CA fails now...
    assertThrows(RuntimeException.class, () -> hive("tls", "early", next.cert(), null).connect());
    long reloads = f.broker().listener("tls").tlsReloads();
    // ...and connects once the files are replaced (as certbot does: write aside, then move).
    Files.copy(renewed.key(), dir.resolve("served.key.new"));
    Files.copy(renewed.cert(), dir.resolve("served.pem.new"));
    Files.move(dir.resolve("served.key.new"), serverKey, StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
    Files.move(dir.resolve("served.pem.new"), serverCert, StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
    await("the renewed files are read", () -> f.broker().listener("tls").tlsReloads() > reloads);
    Mqtt5BlockingClient c = hive("tls", "late", next.cert(), null);
    c.connect();
    c.disconnect();
    // Back to the first certificate for the other tests.
    Files.copy(server.key(), serverKey, StandardCopyOption.REPLACE_EXISTING);
    Files.copy(server.cert(), serverCert, StandardCopyOption.REPLACE_EXISTING);
    long now = f.broker().listener("tls").tlsReloads();
    await("the first files are read again", () -> f.broker().listener("tls").tlsReloads() > now);
  }
}

package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static io.simqtt.core.it.Clients.hiveBuilder;
import static io.simqtt.core.it.Clients.hiveConnected;
import static io.simqtt.core.it.Clients.inbox;
import static io.simqtt.core.it.Clients.take;
import static io.simqtt.core.it.Clients.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.simqtt.config.SettingsLoader;
import io.simqtt.core.Broker;
import io.simqtt.core.it.TestPki;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Three nodes linked over mutual TLS with certificates from bin/cluster-certs.sh: the links come
 * up and carry messages; a node presenting a certificate from another CA (with the right secret
 * and a listed id) is refused at the TLS handshake, and the refusal is logged and counted.
 */
class MutualTlsClusterTest {
  @TempDir Path dir;

  @Test
  void linksComeUpOverMutualTlsAndAnotherCaIsRefused() throws Exception {
    Path certs = dir.resolve("certs");
    Process script = new ProcessBuilder(
        RepoRoot.find().resolve("bin/cluster-certs.sh").toString(), certs.toString())
        .redirectErrorStream(true).start();
    assertTrue(script.waitFor(60, TimeUnit.SECONDS), "cluster-certs.sh finished");
    String out = new String(script.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, script.exitValue(), out);

    String tls = "cluster.tls { enabled = true,"
        + " cert-file = \"" + certs + "/\"${node.id}\".pem\","
        + " key-file = \"" + certs + "/\"${node.id}\".key\","
        + " ca-file = \"" + certs.resolve("ca.pem") + "\" }\n";
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    Logger tlsLog = (Logger) LoggerFactory.getLogger(LinkTls.class);
    logs.start();
    tlsLog.addAppender(logs);
    try (ClusterFixture cluster = ClusterFixture.start(3, tls)) {
      // Links are up (start waits for it): a message crosses them.
      Mqtt5BlockingClient sub = hiveConnected(
          hiveBuilder("127.0.0.1", cluster.broker(2).mqttAddress().getPort(), "tls-sub"));
      var in = inbox(sub);
      sub.subscribeWith().topicFilter("over/mtls").qos(MqttQos.AT_LEAST_ONCE).send();
      await("n1 sees n3's route", () -> cluster.routes(0, "over/mtls", 2));
      Mqtt5BlockingClient pub = hiveConnected(
          hiveBuilder("127.0.0.1", cluster.broker(0).mqttAddress().getPort(), "tls-pub"));
      pub.publishWith().topic("over/mtls").qos(MqttQos.AT_LEAST_ONCE)
          .payload("crossed".getBytes(StandardCharsets.UTF_8)).send();
      assertEquals("crossed", text(take(in)));
      assertEquals(0, cluster.cluster(0).linkTls().refusedCertificates());

      // An impostor: n3's id, the cluster's secret, trusts the cluster CA, but its own
      // certificate comes from another CA.
      TestPki.Issued other = new TestPki(dir).ca("other").server("n3");
      String rogue = "node.id = \"n3\"\n"
          + "mqtt.listeners.tcp { host = \"127.0.0.1\", port = 0 }\n"
          + "cluster {\n  name = \"fixture\"\n  secret = \"" + ClusterFixture.SECRET + "\"\n"
          + "  listen { host = \"127.0.0.1\", port = " + ClusterFixture.freePorts(1)[0] + " }\n"
          + "  peers = [ { id = \"n1\", host = \"127.0.0.1\", port = " + cluster.peerPort(0)
          + " } ]\n"
          + "  tls { enabled = true, cert-file = \"" + other.cert() + "\", key-file = \""
          + other.key() + "\", ca-file = \"" + certs.resolve("ca.pem") + "\" }\n}\n";
      var settings = SettingsLoader.fromString(rogue);
      PeerCluster rogueCluster = new PeerCluster(settings);
      try (Broker rogueBroker = new Broker(settings, rogueCluster)) {
        rogueBroker.start();
        await("n1 refuses the impostor's certificate",
            () -> cluster.cluster(0).linkTls().refusedCertificates() > 0);
        assertFalse(rogueCluster.linkStates().containsValue("UP"), rogueCluster.linkStates()::toString);
        List<String> lines = List.copyOf(logs.list).stream()
            .map(ILoggingEvent::getFormattedMessage).toList();
        assertTrue(lines.stream().anyMatch(l -> l.startsWith(
            "peer link refused: a peer dialling in presented a certificate (CN=n3)")
            && l.contains("CN=n3") && l.contains("does not chain to the cluster CA")),
            "logged: " + lines);
      }
      cluster.awaitLinksUp(ClusterFixture.WAIT); // the members are undisturbed
      sub.disconnect();
      pub.disconnect();
    } finally {
      tlsLog.detachAppender(logs);
    }
  }
}

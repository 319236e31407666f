package io.simqtt.peer;

import static io.simqtt.core.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.config.ListenerSettings;
import io.simqtt.config.SettingsLoader;
import io.simqtt.config.StorageSettings;
import io.simqtt.core.Broker;
import io.simqtt.peer.metrics.MetricsServer;
import io.simqtt.store.DiskSessionStore;
import io.simqtt.store.DurableStore;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /health/live and /health/ready as a load balancer sees them, alone and in a cluster. */
class HealthProbesTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final ListenerSettings ANY_PORT = new ListenerSettings("127.0.0.1", 0);

  private static HttpResponse<String> get(MetricsServer m, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(
        "http://127.0.0.1:" + m.port() + path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static int status(MetricsServer m, String path) {
    try {
      return get(m, path).statusCode();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aStoppingNodeIsNotReadyWhileItsListenerStillAccepts() throws Exception {
    try (Broker broker = new Broker(SettingsLoader.fromString(
            "mqtt.listeners.tcp { host = \"127.0.0.1\", port = 0 }\nmqtt.sys.interval = 0\n"));
        MetricsServer metrics = new MetricsServer(broker, null, 0)) {
      metrics.start(ANY_PORT);
      HttpResponse<String> before = get(metrics, "/health/ready");
      assertEquals(503, before.statusCode());
      assertEquals("MQTT listener not open yet\n", before.body());

      broker.start();
      assertEquals(200, status(metrics, "/health/live"));
      assertEquals("ready\n", get(metrics, "/health/ready").body());
      assertEquals(200, status(metrics, "/metrics"));
      assertEquals(404, status(metrics, "/health"));

      metrics.stopping();
      HttpResponse<String> stopping = get(metrics, "/health/ready");
      assertEquals(503, stopping.statusCode());
      assertEquals("stopping\n", stopping.body());
      assertEquals(200, status(metrics, "/health/live"));
      try (Socket s = new Socket("127.0.0.1", broker.mqttAddress().getPort())) {
        assertTrue(s.isConnected(), "listener still open while not ready");
      }
    }
  }

  @Test
  void aNodeWhoseStoreWriterFailedIsNeitherLiveNorReady(@TempDir Path dir) throws Exception {
    StorageSettings storage = new StorageSettings(
        dir, StorageSettings.Sync.ALWAYS, Duration.ofMillis(5), 1000, 1 << 20, 8 << 20);
    try (DurableStore store = DurableStore.open(storage);
        Broker broker = new Broker(SettingsLoader.fromString(
            "mqtt.listeners.tcp { host = \"127.0.0.1\", port = 0 }\nmqtt.sys.interval = 0\n"));
        MetricsServer metrics = new MetricsServer(broker, null, 0, store)) {
      metrics.start(ANY_PORT);
      broker.start();
      assertEquals(200, status(metrics, "/health/live"));
      assertEquals(200, status(metrics, "/health/ready"));

      new DiskSessionStore(store).afterDurable(() -> {
        throw new InternalError("injected");
      });
      await("the store failed", () -> store.failure() != null);

      HttpResponse<String> live = get(metrics, "/health/live");
      assertEquals(503, live.statusCode(), "only a restart mends it: an orchestrator restarts");
      assertTrue(live.body().startsWith("the durable store failed (java.lang.InternalError:"
          + " injected)"), live.body());
      assertEquals(503, status(metrics, "/health/ready"));
      assertTrue(get(metrics, "/metrics").body().contains("simqtt_store_failed 1.0"));
    }
  }

  @Test
  void readyOnlyWithTheConfiguredPeersUp() throws Exception {
    try (ClusterFixture cluster = ClusterFixture.startProxied(2,
            "cluster { keep-alive-interval = 200ms, keep-alive-timeout = 400ms }\n");
        MetricsServer metrics = new MetricsServer(cluster.broker(0), cluster.cluster(0), 1)) {
      metrics.start(ANY_PORT);
      assertEquals(200, status(metrics, "/health/ready"));

      cluster.isolate(0);
      Duration bound = Duration.ofSeconds(10);
      await(bound, () -> status(metrics, "/health/ready") == 503, "not ready once isolated");
      assertEquals("0 of 1 peer links up, 1 needed (metrics.ready-min-peers)\n",
          get(metrics, "/health/ready").body());
      assertEquals(200, status(metrics, "/health/live"));

      cluster.rejoin(0);
      cluster.awaitHealed(bound);
      assertEquals(200, status(metrics, "/health/ready"));
    }
  }
}

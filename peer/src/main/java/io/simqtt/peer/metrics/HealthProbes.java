package io.simqtt.peer.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.simqtt.core.Broker;
import io.simqtt.peer.PeerCluster;
import io.simqtt.store.DurableStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /health/live} and {@code GET /health/ready} for load balancers and orchestrators.
 * Live means the process answers and can go on by itself: everything but a durable store whose
 * writer failed, which only a restart mends (it recovers what was durable), so an orchestrator
 * restarts the node. Ready means the node takes clients: live, its MQTT listener is open, it is
 * not stopping, its heap guard is off, and at least {@code metrics.ready-min-peers} peer links
 * are up. Either, when not so, is 503 with the reason as text, so an operator reading the probe
 * sees why.
 */
final class HealthProbes implements HttpHandler {
  static final String LIVE = "/health/live";
  static final String READY = "/health/ready";

  private final Broker broker;
  private final PeerCluster cluster;
  private final int minPeersUp;
  private final DurableStore store;
  /** Set before listeners close, so a load balancer stops sending clients first. */
  private volatile boolean stopping;

  /** {@code cluster} is null for a single node, {@code store} in memory. */
  HealthProbes(Broker broker, PeerCluster cluster, int minPeersUp, DurableStore store) {
    this.broker = broker;
    this.cluster = cluster;
    this.minPeersUp = minPeersUp;
    this.store = store;
  }

  /** Null when live, else why not. */
  String notLiveReason() {
    Throwable failure = store == null ? null : store.failure();
    if (failure != null) {
      return "the durable store failed (" + failure + "): nothing is written or acknowledged"
          + " any more; restart the node";
    }
    return null;
  }

  void stopping() {
    stopping = true;
  }

  /** Null when ready, else why not. */
  String notReadyReason() {
    String notLive = notLiveReason();
    if (notLive != null) {
      return notLive;
    }
    if (stopping) {
      return "stopping";
    }
    if (broker.mqttAddress() == null) {
      return "MQTT listener not open yet";
    }
    if (broker.heapGuard().active()) {
      return "heap guard on: heap nearly full, not accepting connections or reading from clients";
    }
    if (cluster != null && minPeersUp > 0) {
      long up = cluster.linkStates().values().stream().filter("UP"::equals).count();
      if (up < minPeersUp) {
        return up + " of " + cluster.linkStates().size() + " peer links up, "
            + minPeersUp + " needed (metrics.ready-min-peers)";
      }
    }
    return null;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
        answer(exchange, 405, "only GET and HEAD\n");
      } else if (LIVE.equals(path)) {
        probe(exchange, notLiveReason(), "live\n");
      } else if (READY.equals(path)) {
        probe(exchange, notReadyReason(), "ready\n");
      } else {
        answer(exchange, 404, "not found: try /metrics, " + LIVE + " or " + READY + "\n");
      }
    }
  }

  private static void probe(HttpExchange exchange, String reason, String ok) throws IOException {
    answer(exchange, reason == null ? 200 : 503, reason == null ? ok : reason + "\n");
  }

  private static void answer(HttpExchange exchange, int status, String text) throws IOException {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    boolean head = "HEAD".equals(exchange.getRequestMethod());
    exchange.sendResponseHeaders(status, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }
}

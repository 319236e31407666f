package io.simqtt.core.sys;

import io.simqtt.core.Broker;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.message.Message;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.routing.MessageRouter;
import io.simqtt.core.session.Session;
import io.simqtt.core.session.SessionRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes this node's figures as retained messages under {@code $SYS/broker/} at a fixed
 * interval, through {@link MessageRouter#publishLocal} so they stay on this node.
 */
public final class SysTopicsPublisher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SysTopicsPublisher.class);
  private static final String BROKER = SysTopics.PREFIX + "broker/";

  private final Broker broker;
  private final String version;
  // Used on the timer thread only (publishAll runs there), so it needs no locks.
  private final LoadAverages load =
      new LoadAverages(
          "messages/received",
          "messages/sent",
          "bytes/received",
          "bytes/sent",
          "connections",
          "sockets");
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "simqtt-sys");
            t.setDaemon(true);
            return t;
          });

  public SysTopicsPublisher(Broker broker, String version) {
    this.broker = broker;
    this.version = version;
  }

  /** Publishes now and then every {@code interval}. */
  public void start(Duration interval) {
    timer.scheduleAtFixedRate(
        this::publishSafely, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void publishSafely() {
    try {
      publishAll();
    } catch (RuntimeException e) {
      // A scheduled task that throws is never run again; one bad round must not end $SYS.
      LOG.warn("publishing $SYS topics failed", e);
    }
  }

  /** One round of every figure; runs on the timer thread only. */
  private void publishAll() {
    figures().forEach((name, value) -> broker.router().publishLocal(new Message(
        BROKER + name,
        value.getBytes(StandardCharsets.UTF_8),
        0,
        true,
        MqttProperties.empty(),
        0,
        "")));
  }

  /**
   * Topic below $SYS/broker/ to value, in Mosquitto's names and units. Advances the load
   * averages, so it runs on the timer thread only.
   */
  private Map<String, String> figures() {
    SessionRegistry sessions = broker.sessions();
    BrokerMetrics metrics = broker.metrics();
    long connected = sessions.all().stream().filter(Session::isConnected).count();
    long sent = metrics.messagesOut(0) + metrics.messagesOut(1) + metrics.messagesOut(2);
    long received = metrics.messagesIn(0) + metrics.messagesIn(1) + metrics.messagesIn(2);
    Map<String, String> f = new LinkedHashMap<>();
    f.put("version", "si-mqtt " + version);
    f.put("uptime", (System.currentTimeMillis() - broker.startedAtMillis()) / 1000 + " seconds");
    f.put("clients/connected", Long.toString(connected));
    f.put("clients/disconnected", Long.toString(sessions.size() - connected));
    f.put("clients/total", Integer.toString(sessions.size()));
    f.put("messages/received", Long.toString(received));
    f.put("messages/sent", Long.toString(sent));
    f.put("bytes/received", Long.toString(metrics.bytesIn()));
    f.put("bytes/sent", Long.toString(metrics.bytesOut()));
    f.put("subscriptions/count", Integer.toString(broker.localSubscriptionCount()));
    f.put("retained messages/count", Integer.toString(broker.retained().size()));
    load.update(
            System.nanoTime(),
            received,
            sent,
            metrics.bytesIn(),
            metrics.bytesOut(),
            metrics.connectsAccepted(),
            metrics.connectionsOpened())
        .forEach((name, value) -> f.put("load/" + name, value));
    // Every message in or out is one PUBLISH packet here, so publish/... is messages/....
    for (String window : LoadAverages.WINDOWS) {
      f.put("load/publish/received/" + window, f.get("load/messages/received/" + window));
      f.put("load/publish/sent/" + window, f.get("load/messages/sent/" + window));
    }
    return f;
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}

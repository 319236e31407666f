package io.simqtt.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.config.SettingsLoader;
import io.simqtt.core.Broker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A seconds-long run of the load tool against an in-process broker: the tool works end to end and
 * QoS 1 loses and duplicates nothing. No timing assertions: CI machines are noisy.
 */
class LoadSmokeTest {
  private static Broker broker;

  @BeforeAll
  static void startBroker() throws InterruptedException {
    broker = new Broker(SettingsLoader.fromString("mqtt.listeners.tcp { host = \"127.0.0.1\", port = 0 }"));
    broker.start();
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  private static LoadOptions options(Scenario scenario) {
    LoadOptions o = new LoadOptions();
    o.scenario = scenario;
    o.host = "127.0.0.1";
    o.port = broker.mqttAddress().getPort();
    o.label = "si-mqtt-inprocess";
    o.qos = 1;
    o.warmupSeconds = 0.2;
    o.durationSeconds = 1;
    o.drainSeconds = 10;
    o.count = 20_000;
    o.threads = 2;
    return o;
  }

  private static void assertClean(LoadResult r) {
    System.out.println(r.toJson());
    assertNull(r.error(), r.error());
    assertTrue(r.sent() > 0, "nothing sent");
    assertEquals(r.expected(), r.delivered(), "delivered");
    assertEquals(0, r.lost(), "lost");
    assertEquals(0, r.duplicates(), "duplicates");
  }

  @Test
  void fanInQos1DeliversEverythingOnce() throws InterruptedException {
    LoadOptions o = options(Scenario.FAN_IN);
    o.publishers = 4;
    LoadResult r = LoadRunner.run(o);
    assertClean(r);
    assertEquals(r.sent(), r.delivered());
  }

  @Test
  void fanOutQos1DeliversEverythingOnceToEachSubscriber() throws InterruptedException {
    LoadOptions o = options(Scenario.FAN_OUT);
    o.subscribers = 10;
    o.count = 2_000;
    LoadResult r = LoadRunner.run(o);
    assertClean(r);
    assertEquals(r.sent() * 10, r.delivered());
  }

  @Test
  void connStormKeepsItsConnectionsAliveAndMeasuresTheMarginalCost() throws InterruptedException {
    LoadOptions o = options(Scenario.CONN_STORM);
    o.connections = 200;
    o.connectRate = 2_000;
    // the broker closes a connection after 1.5 x keep alive without a packet: the 2 s hold
    // fails unless the tool pings
    o.keepAliveSeconds = 1;
    o.holdSeconds = 2;
    o.brokerPid = ProcessHandle.current().pid(); // the in-process broker: exercises the RSS reads
    LoadResult r = LoadRunner.run(o);
    String json = r.toJson();
    System.out.println(json);
    System.out.println(r.summary());
    assertNull(r.error(), r.error());
    assertEquals(200, r.connections());
    assertEquals(0, r.failedConnections());
    assertEquals(100, r.connectionsAtHalf());
    assertTrue(r.rssHalfBytes() > 0, "rss at half");
    assertTrue(r.pingsSent() >= 200, "pings " + r.pingsSent());
    assertTrue(r.pongsReceived() > 0, "pongs " + r.pongsReceived());
    for (String k :
        new String[] {"connections", "connects_per_s", "rss_before_bytes", "rss_after_bytes",
            "rss_bytes_per_conn", "failed_connections", "keep_alive_s", "rss_half_bytes",
            "rss_marginal_bytes_per_conn"}) {
      assertTrue(json.contains("\"" + k + "\":"), k + " missing in " + json);
    }
  }

  @Test
  void connectionsAboveTheLimitAreRefused() {
    LoadOptions o = options(Scenario.CONN_STORM);
    o.connections = LoadOptions.MAX_CONNECTIONS;
    o.validate();
    o.connections = LoadOptions.MAX_CONNECTIONS + 1;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, o::validate);
    assertTrue(e.getMessage().contains("--connections"), e.getMessage());
  }

  @Test
  void jsonLineHasTheFields() throws InterruptedException {
    LoadOptions o = options(Scenario.PAIRS);
    o.pairs = 2;
    o.qos = 2;
    o.protocol = "3.1.1";
    o.count = 1_000;
    LoadResult r = LoadRunner.run(o);
    assertClean(r);
    String json = r.toJson();
    for (String k :
        new String[] {"scenario", "broker", "qos", "payload", "clients", "duration_s", "sent",
            "delivered", "msgs_per_s", "p50_us", "p99_us", "p999_us", "lost", "dup",
            "broker_cpu_us_per_msg"}) {
      assertTrue(json.contains("\"" + k + "\":"), k + " missing in " + json);
    }
  }
}

package io.simqtt.bench;

import io.simqtt.core.codec.MqttVersion;
import picocli.CommandLine.Option;

/**
 * Everything one run needs. Picocli fills it from the command line; tests set the fields directly.
 * Every run is bounded both in time ({@link #warmupSeconds} + {@link #durationSeconds} + drain)
 * and in count ({@link #count}).
 */
public final class LoadOptions {

  @Option(
      names = {"-s", "--scenario"},
      description = "fan-in, fan-out, pairs, shared, wildcard, conn-storm, cross-node (default: ${DEFAULT-VALUE})",
      converter = ScenarioConverter.class)
  public Scenario scenario = Scenario.FAN_IN;

  @Option(names = "--host", description = "broker host (default: ${DEFAULT-VALUE})")
  public String host = "127.0.0.1";

  @Option(names = {"-p", "--port"}, description = "broker MQTT port (default: ${DEFAULT-VALUE})")
  public int port = 1883;

  @Option(names = "--bind", description = "local address the tool's connections come from, e.g. 127.0.0.2 to be another source than other runs on 127.0.0.1 (default: the OS's choice)")
  public String bindAddress;

  @Option(names = "--sub-host", description = "cross-node: the subscribers' broker host (default: --host)")
  public String subHost;

  @Option(names = "--sub-port", description = "cross-node: the subscribers' broker port")
  public int subPort;

  @Option(names = "--tls", description = "connect over TLS (any server certificate is accepted"
      + " unless --ca is given)")
  public boolean tls;

  @Option(names = "--ca", description = "PEM CA the broker's certificate must chain to (implies"
      + " --tls)")
  public String ca;

  @Option(names = "--ws", description = "connect over WebSocket at this path, e.g. /mqtt (with"
      + " --tls: secure WebSocket)")
  public String ws;

  @Option(names = "--username", description = "user name in every CONNECT (default: none)")
  public String username;

  @Option(names = "--password", description = "password in every CONNECT, with --username (a"
      + " benchmark account's; default: none)")
  public String password;

  @Option(names = "--label", description = "broker label in the output (default: ${DEFAULT-VALUE})")
  public String label = "broker";

  @Option(names = "--protocol", description = "5 or 3.1.1 (default: ${DEFAULT-VALUE})")
  public String protocol = "5";

  @Option(names = {"-q", "--qos"}, description = "0, 1 or 2 (default: ${DEFAULT-VALUE})")
  public int qos = 0;

  @Option(names = "--payload", description = "payload bytes, >= 16 (default: ${DEFAULT-VALUE})")
  public int payload = 64;

  @Option(names = "--rate", description = "total publish rate msgs/s, 0 = as fast as possible (default: ${DEFAULT-VALUE})")
  public long rate = 0;

  @Option(names = {"-d", "--duration"}, description = "measured seconds (default: ${DEFAULT-VALUE})")
  public double durationSeconds = 10;

  @Option(names = "--warmup", description = "seconds before measuring (default: ${DEFAULT-VALUE})")
  public double warmupSeconds = 2;

  @Option(names = "--count", description = "max messages published in total (default: ${DEFAULT-VALUE})")
  public long count = 50_000_000L;

  @Option(names = {"-P", "--publishers"}, description = "publishers (default: 8 fan-in/shared/cross-node, 1 fan-out, 4 wildcard)")
  public int publishers = -1;

  @Option(names = {"-S", "--subscribers"}, description = "subscribers (default: 100 fan-out/wildcard, 4 shared, 1 otherwise)")
  public int subscribers = -1;

  @Option(names = {"-N", "--pairs"}, description = "pairs scenario: pub/sub pairs (default: ${DEFAULT-VALUE})")
  public int pairs = 10;

  @Option(names = "--subscriptions", description = "wildcard scenario: subscriptions in total (default: ${DEFAULT-VALUE})")
  public int subscriptions = 100_000;

  /** The most connections conn-storm opens: one fd each, under the 20,000 per-process limit here. */
  public static final int MAX_CONNECTIONS = 19_500;

  @Option(names = "--connections", description = "conn-storm: connections to open, 1.." + MAX_CONNECTIONS + "; opening stops after the later of warm-up + duration + drain and connections / connect-rate + 60 s (default: ${DEFAULT-VALUE})")
  public int connections = 10_000;

  @Option(names = "--session-expiry", description = "subscribers' Session Expiry Interval, seconds (MQTT 5; in 3.1.1 any value above 0 means Clean Session 0): a broker with durable sessions keeps what it queues for them on disk; 0 = sessions end with their connection (default: ${DEFAULT-VALUE})")
  public long sessionExpirySeconds = 0;

  @Option(names = "--pub-session-expiry", description = "publishers' Session Expiry Interval, seconds, as --session-expiry: a broker with durable sessions keeps a stored publisher's QoS 2 packet ids on disk (default: ${DEFAULT-VALUE})")
  public long pubSessionExpirySeconds = 0;

  @Option(names = "--keep-alive", description = "conn-storm: keep alive in the CONNECTs, seconds, 0 = none; the tool sends PINGREQ at this interval (default: ${DEFAULT-VALUE})")
  public int keepAliveSeconds = 60;

  @Option(names = "--connect-rate", description = "conn-storm: new connections per second (default: ${DEFAULT-VALUE})")
  public int connectRate = 2_000;

  @Option(names = "--hold", description = "conn-storm: seconds to keep the connections open after measuring, for inspecting the broker (jcmd, pmap; default: ${DEFAULT-VALUE})")
  public double holdSeconds = 0;

  @Option(names = "--inflight", description = "QoS>=1: max unacknowledged publishes per publisher (capped by the broker's receive maximum; default: ${DEFAULT-VALUE})")
  public int inflight = 256;

  @Option(names = "--drain", description = "max seconds to wait for deliveries after publishing stops (default: ${DEFAULT-VALUE})")
  public double drainSeconds = 5;

  @Option(names = "--settle", description = "seconds to wait after subscribing before publishing (cross-node route propagation; default: 0, 1 for cross-node)")
  public double settleSeconds = -1;

  @Option(names = "--broker-pid", description = "broker process id: report its CPU per delivered message and RSS")
  public long brokerPid = 0;

  @Option(
      names = "--warmup-connections",
      description =
          "conn-storm: open and close this many connections before the first RSS reading, so the"
              + " baseline is a broker past its first connections (code compiled, heap in use),"
              + " as a running node is (default: ${DEFAULT-VALUE})")
  public int warmupConnections = 0;

  @Option(
      names = "--broker-gc",
      description =
          "conn-storm, JVM brokers: a full GC (jcmd <pid> GC.run) before each RSS reading, so the"
              + " connections' state has left the young generation and the figure is the steady"
              + " state, not what one young collection happened to leave behind")
  public boolean brokerGc;

  @Option(names = "--threads", description = "client event loop threads (default: available processors)")
  public int threads = 0;

  public MqttVersion version() {
    return switch (protocol) {
      case "5", "5.0" -> MqttVersion.MQTT_5;
      case "3.1.1", "311", "4" -> MqttVersion.MQTT_3_1_1;
      default -> throw new IllegalArgumentException("--protocol must be 5 or 3.1.1, not " + protocol);
    };
  }

  public int publisherCount() {
    if (publishers > 0) {
      return publishers;
    }
    return switch (scenario) {
      case FAN_OUT -> 1;
      case WILDCARD -> 4;
      case PAIRS -> pairs;
      case CONN_STORM -> 0;
      default -> 8;
    };
  }

  public int subscriberCount() {
    if (scenario == Scenario.PAIRS) {
      return pairs;
    }
    if (subscribers > 0) {
      return subscribers;
    }
    return switch (scenario) {
      case FAN_OUT, WILDCARD -> 100;
      case SHARED -> 4;
      case CONN_STORM -> 0;
      default -> 1;
    };
  }

  /** Checks the combination; throws IllegalArgumentException naming the option. */
  public void validate() {
    version();
    if (qos < 0 || qos > 2) {
      throw new IllegalArgumentException("--qos must be 0, 1 or 2");
    }
    if (payload < 16) {
      throw new IllegalArgumentException("--payload must be >= 16 (timestamp, sequence, publisher)");
    }
    if (durationSeconds <= 0 || warmupSeconds < 0 || drainSeconds < 0) {
      throw new IllegalArgumentException("--duration must be > 0, --warmup and --drain >= 0");
    }
    if (count <= 0 || rate < 0 || inflight < 1) {
      throw new IllegalArgumentException("--count and --inflight must be > 0, --rate >= 0");
    }
    if (scenario == Scenario.CONN_STORM && (connections < 1 || connections > MAX_CONNECTIONS)) {
      throw new IllegalArgumentException(
          "--connections must be 1.." + MAX_CONNECTIONS + ", not " + connections
              + " (one fd per connection, and the per-process fd limit here is 20,000)");
    }
    if (warmupConnections < 0 || warmupConnections > MAX_CONNECTIONS) {
      throw new IllegalArgumentException(
          "--warmup-connections must be 0.." + MAX_CONNECTIONS + ", not " + warmupConnections);
    }
    if (keepAliveSeconds < 0 || keepAliveSeconds > 65_535) {
      throw new IllegalArgumentException("--keep-alive must be 0..65535 seconds");
    }
    if (scenario == Scenario.CONN_STORM && connectRate < 1) {
      throw new IllegalArgumentException("--connect-rate must be > 0");
    }
    if (scenario == Scenario.CROSS_NODE && subPort <= 0) {
      throw new IllegalArgumentException("cross-node needs --sub-port (the second node)");
    }
    if (scenario == Scenario.WILDCARD && subscriptions < subscriberCount()) {
      throw new IllegalArgumentException("--subscriptions must be >= --subscribers");
    }
  }

  /** Picocli converter for {@link Scenario}. */
  public static final class ScenarioConverter
      implements picocli.CommandLine.ITypeConverter<Scenario> {
    @Override
    public Scenario convert(String value) {
      return Scenario.parse(value);
    }
  }
}

package io.simqtt.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.simqtt.core.codec.MqttDecoder;
import io.simqtt.core.codec.MqttEncoder;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Runs one scenario against a broker and returns its figures. Always bounded: connecting and
 * subscribing time out, publishing stops at the count or the deadline, the drain is capped, and
 * every connection and thread is closed before {@link #run} returns.
 */
public final class LoadRunner {
  private static final long CONNECT_TIMEOUT_MS = 30_000;
  private static final int FILTERS_PER_SUBSCRIBE = 200;
  /** conn-storm: seconds beyond connections / connect-rate before opening stops. */
  private static final double SLOW_BROKER_SECONDS = 60;

  private final LoadOptions o;
  private final MqttVersion version;
  private final String runId;
  private final List<BenchClient> clients = new ArrayList<>();
  private final List<BenchClient> subscribers = new ArrayList<>();
  private final List<Publisher> publishers = new ArrayList<>();
  /** Receiver groups: each group together should see every message of its publishers once. */
  private final List<Group> groups = new ArrayList<>();
  private EventLoopGroup loops;
  private Bootstrap bootstrap;
  private ClientTransport transport;
  /** conn-storm's PINGREQ sender, null when the keep alive is 0 or in other scenarios. */
  private KeepAlivePinger pinger;

  private record Group(List<Receiver> members, int[] publishers) {}

  public LoadRunner(LoadOptions options) {
    options.validate();
    this.o = options;
    this.version = options.version();
    this.runId = Long.toString(System.nanoTime() & 0xFFFFFFFFL, 36);
  }

  /** Runs the scenario given by the options. */
  public static LoadResult run(LoadOptions options) throws InterruptedException {
    return new LoadRunner(options).run();
  }

  public LoadResult run() throws InterruptedException {
    try {
      transport = new ClientTransport(o.tls, o.ca, o.ws);
    } catch (javax.net.ssl.SSLException e) {
      return failed(e);
    }
    int threads = o.threads > 0 ? o.threads : Runtime.getRuntime().availableProcessors();
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    loops = new MultiThreadIoEventLoopGroup(threads, io);
    bootstrap =
        new Bootstrap()
            .group(loops)
            .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) CONNECT_TIMEOUT_MS)
            .option(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(128 * 1024, 256 * 1024));
    try {
      return o.scenario == Scenario.CONN_STORM ? connStorm() : messaging();
    } catch (Exception e) {
      return failed(e);
    } finally {
      closeAll();
    }
  }

  // ---------------------------------------------------------------- messaging scenarios

  private String topic(String name) {
    return "bench/" + runId + "/" + name;
  }

  private LoadResult messaging() throws Exception {
    int pubs = o.publisherCount();
    int subs = o.subscriberCount();
    String subHost = o.scenario == Scenario.CROSS_NODE && o.subHost != null ? o.subHost : o.host;
    int subPort = o.scenario == Scenario.CROSS_NODE ? o.subPort : o.port;

    // subscribers first, so nothing published is missed
    List<BenchClient> subClients = new ArrayList<>();
    for (int i = 0; i < subs; i++) {
      BenchClient c = new BenchClient("b" + runId + "-s" + i, version, o.username, o.password);
      c.sessionExpirySeconds = o.sessionExpirySeconds;
      c.receiver = new Receiver();
      subClients.add(c);
    }
    subscribers.addAll(connectAll(subClients, subHost, subPort));
    List<CompletableFuture<Void>> subAcks = new ArrayList<>();
    int[] allPubs = range(pubs);
    PublishTemplate[][] templates = new PublishTemplate[pubs][];
    switch (o.scenario) {
      case FAN_IN, FAN_OUT, CROSS_NODE -> {
        String t = topic(o.scenario.label());
        for (BenchClient s : subscribers) {
          subAcks.add(s.subscribe(List.of(t), o.qos));
          groups.add(new Group(List.of(s.receiver), allPubs));
        }
        for (int p = 0; p < pubs; p++) {
          templates[p] = new PublishTemplate[] {template(t)};
        }
      }
      case PAIRS -> {
        for (int i = 0; i < subs; i++) {
          BenchClient s = subscribers.get(i);
          String t = topic("pair/" + i);
          subAcks.add(s.subscribe(List.of(t), o.qos));
          groups.add(new Group(List.of(s.receiver), new int[] {i}));
          templates[i] = new PublishTemplate[] {template(t)};
        }
      }
      case SHARED -> {
        String t = topic("shared");
        List<Receiver> members = new ArrayList<>();
        for (BenchClient s : subscribers) {
          subAcks.add(s.subscribe(List.of("$share/g" + runId + "/" + t), o.qos));
          members.add(s.receiver);
        }
        groups.add(new Group(members, allPubs));
        for (int p = 0; p < pubs; p++) {
          templates[p] = new PublishTemplate[] {template(t)};
        }
      }
      case WILDCARD -> {
        wildcardSubscriptions(subAcks);
        groups.add(
            new Group(subscribers.stream().map(s -> s.receiver).toList(), allPubs));
        Random r = new Random(7);
        for (int p = 0; p < pubs; p++) {
          templates[p] = new PublishTemplate[1024];
          for (int i = 0; i < templates[p].length; i++) {
            templates[p][i] = template(wildcardTopic(r.nextInt(o.subscriptions), r));
          }
        }
      }
      default -> throw new IllegalStateException(o.scenario.toString());
    }
    for (CompletableFuture<Void> f : subAcks) {
      f.get(60, TimeUnit.SECONDS);
    }
    double settle = o.settleSeconds >= 0 ? o.settleSeconds : o.scenario == Scenario.CROSS_NODE ? 1 : 0;
    if (settle > 0) {
      Thread.sleep((long) (settle * 1000));
    }

    List<BenchClient> pubClients = new ArrayList<>();
    for (int p = 0; p < pubs; p++) {
      BenchClient c = new BenchClient("b" + runId + "-p" + p, version, o.username, o.password);
      c.sessionExpirySeconds = o.pubSessionExpirySeconds;
      pubClients.add(c);
    }
    pubClients = connectAll(pubClients, o.host, o.port);
    long perPublisher = Math.max(1, (o.count + pubs - 1) / pubs);
    double ratePerPublisher = o.rate > 0 ? (double) o.rate / pubs : 0;
    for (int p = 0; p < pubs; p++) {
      BenchClient c = pubClients.get(p);
      int window = Math.min(o.inflight, c.serverReceiveMaximum);
      Publisher pub = new Publisher(p, c, templates[p], o.qos, perPublisher, ratePerPublisher, window);
      c.publisher = pub;
      publishers.add(pub);
    }

    long warmupNanos = (long) (o.warmupSeconds * 1e9);
    long runNanos = warmupNanos + (long) (o.durationSeconds * 1e9);
    long t0 = System.nanoTime();
    long measureFrom = t0 + warmupNanos;
    for (BenchClient s : subscribers) {
      s.receiver.measureFromNanos = measureFrom;
    }
    long cpuAtStart = ProcStats.cpuMicros(o.brokerPid);
    for (Publisher p : publishers) {
      p.start(runNanos);
    }
    long cpuStart = cpuAtStart;
    if (warmupNanos > 0) {
      sleepUntil(measureFrom, publishers);
      cpuStart = ProcStats.cpuMicros(o.brokerPid);
    }

    // publishing ends at the count or the deadline; then the drain, capped
    long drainNanos = (long) (o.drainSeconds * 1e9);
    long publishDeadline = t0 + runNanos + 1_000_000_000L;
    for (Publisher p : publishers) {
      try {
        p.done.get(Math.max(1, publishDeadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        break;
      }
    }
    long drainStart = System.nanoTime();
    long expected = expectedDeliveries();
    long lastProgress = -1;
    long lastChange = drainStart;
    while (System.nanoTime() - drainStart < drainNanos) {
      boolean acksDone = publishers.stream().allMatch(p -> p.done.isDone());
      long progress = subscribers.stream().mapToLong(s -> s.receiver.progress).sum();
      expected = expectedDeliveries();
      if (acksDone && progress >= expected) {
        break;
      }
      if (progress != lastProgress) {
        lastProgress = progress;
        lastChange = System.nanoTime();
      } else if (System.nanoTime() - lastChange > 1_000_000_000L && (o.qos == 0 || acksDone)) {
        break; // nothing more is coming
      }
      Thread.sleep(10);
    }
    long cpuEnd = ProcStats.cpuMicros(o.brokerPid);
    closeClients(); // after this every receiver's fields are safe to read here
    return messagingResult(t0, measureFrom, expectedDeliveries(), cpuAtStart, cpuStart, cpuEnd);
  }

  private void wildcardSubscriptions(List<CompletableFuture<Void>> subAcks) {
    int s = subscribers.size();
    List<List<String>> perClient = new ArrayList<>();
    for (int i = 0; i < s; i++) {
      perClient.add(new ArrayList<>());
    }
    for (int k = 0; k < o.subscriptions; k++) {
      List<String> mine = perClient.get(k % s);
      mine.add(wildcardFilter(k));
      if (mine.size() == FILTERS_PER_SUBSCRIBE) {
        subAcks.add(subscribers.get(k % s).subscribe(List.copyOf(mine), o.qos));
        mine.clear();
      }
    }
    for (int i = 0; i < s; i++) {
      if (!perClient.get(i).isEmpty()) {
        subAcks.add(subscribers.get(i).subscribe(perClient.get(i), o.qos));
      }
    }
  }

  /**
   * Subscription k: one of three shapes with + and #. Every topic from {@link #wildcardTopic}
   * matches exactly one of them, so each publish is delivered exactly once in total.
   */
  private String wildcardFilter(int k) {
    return switch (k % 3) {
      case 0 -> topic("w/" + k + "/+/temp");
      case 1 -> topic("w/" + k + "/#");
      default -> topic("v/+/" + k);
    };
  }

  private String wildcardTopic(int k, Random r) {
    return switch (k % 3) {
      case 0 -> topic("w/" + k + "/d" + r.nextInt(100) + "/temp");
      case 1 -> topic("w/" + k + "/a" + r.nextInt(10) + "/b/c");
      default -> topic("v/site" + r.nextInt(100) + "/" + k);
    };
  }

  private PublishTemplate template(String topic) {
    return new PublishTemplate(topic, o.qos, o.payload, version);
  }

  private long expectedDeliveries() {
    long e = 0;
    for (Group g : groups) {
      for (int p : g.publishers()) {
        e += publishers.size() > p ? publishers.get(p).sent : 0;
      }
    }
    return e;
  }

  private LoadResult messagingResult(
      long t0, long measureFrom, long expected, long cpuAtStart, long cpuStart, long cpuEnd) {
    Histogram all = new Histogram(3_600_000_000L, 3);
    Histogram warm = new Histogram(3_600_000_000L, 3);
    long delivered = 0;
    long measured = 0;
    long lastArrival = measureFrom;
    long lastAny = t0;
    for (BenchClient s : subscribers) {
      Receiver r = s.receiver;
      all.add(r.latencyMicros);
      warm.add(r.warmupLatencyMicros);
      delivered += r.received;
      measured += r.measured;
      lastArrival = Math.max(lastArrival, r.lastArrivalNanos);
      lastAny = Math.max(lastAny, r.lastAnyArrivalNanos);
    }
    if (measured == 0 && delivered > 0) {
      // everything was sent during the warm-up (a small --count): report the whole run instead
      all = warm;
      measured = delivered;
      measureFrom = t0;
      lastArrival = lastAny;
      cpuStart = cpuAtStart;
    }
    long lost = 0;
    long dup = 0;
    for (Group g : groups) {
      for (int p : g.publishers()) {
        if (p >= publishers.size()) {
          continue;
        }
        BitSet union = new BitSet();
        long seenSum = 0;
        for (Receiver r : g.members()) {
          BitSet b = r.seenFrom(p);
          if (b != null) {
            union.or(b);
            seenSum += b.cardinality();
          }
        }
        long sent = publishers.get(p).sent;
        lost += Math.max(0, sent - union.cardinality());
        dup += seenSum - union.cardinality();
      }
      for (Receiver r : g.members()) {
        dup += r.duplicatesSeenHere;
      }
    }
    long sent = 0;
    long refused = 0;
    for (Publisher p : publishers) {
      sent += p.sent;
      refused += p.refused;
    }
    double window = (lastArrival - measureFrom) / 1e9;
    double rate = window > 0 ? measured / window : 0;
    double cpuPerMsg =
        cpuStart >= 0 && cpuEnd >= 0 && measured > 0 ? (double) (cpuEnd - cpuStart) / measured : -1;
    String error = clientErrors();
    boolean none = all.getTotalCount() == 0;
    return new LoadResult(
        o.scenario.label(), o.label, protocolLabel(), o.qos,
        o.payload, publishers.size(), subscribers.size(), clients.size(), window, o.rate, sent,
        expected, delivered, rate,
        none ? -1 : all.getValueAtPercentile(50), none ? -1 : all.getValueAtPercentile(99),
        none ? -1 : all.getValueAtPercentile(99.9), none ? -1 : all.getMaxValue(), lost, dup,
        refused, cpuPerMsg, -1, -1, -1, -1, -1, -1, -1, 0, -1, -1, -1, -1, -1, error);
  }

  // ---------------------------------------------------------------- conn-storm

  /** Connections open at once during the conn-storm warm-up. */
  private static final int WARMUP_WAVE = 500;

  /**
   * Opens {@code --connections} idle connections at {@code --connect-rate} with keep alive {@code
   * --keep-alive} (kept alive by a {@link KeepAlivePinger}) and reads the broker's RSS before the
   * first, at half (opening paused until those are established and 1 s passed) and 1 s after the
   * last CONNACK. Fails early when this process cannot open that many sockets. Opening stops at
   * the later of warm-up + duration + drain and connections / connect-rate + 60 s, which is an
   * error when not all were opened.
   */
  private LoadResult connStorm() throws Exception {
    checkFileDescriptors(o.connections);
    pinger = o.keepAliveSeconds > 0 ? new KeepAlivePinger() : null;
    warmUpConnections();
    boolean measureHalf = o.brokerPid > 0 && o.connections >= 2;
    int half = measureHalf ? o.connections / 2 : -1;
    long rssBefore = brokerRss();
    long cpuBefore = ProcStats.cpuMicros(o.brokerPid);
    // bounded, with room for a broker that accepts slower than --connect-rate
    double window =
        Math.max(
            o.warmupSeconds + o.durationSeconds + o.drainSeconds,
            (double) o.connections / o.connectRate + SLOW_BROKER_SECONDS);
    long deadline = System.nanoTime() + (long) (window * 1e9);
    Semaphore inFlight = new Semaphore(512);
    List<CompletableFuture<BenchClient>> pending = new ArrayList<>();
    long t0 = System.nanoTime();
    long scheduleFrom = t0;
    long pausedNanos = 0;
    long rssHalf = -1;
    long establishedAtHalf = -1;
    double nanosPerConnect = 1e9 / o.connectRate;
    for (int i = 0; i < o.connections && System.nanoTime() < deadline; i++) {
      if (i == half) {
        // pause: everything so far established, 1 s to settle, then the broker's RSS
        long pauseStart = System.nanoTime();
        awaitAll(pending, deadline);
        Thread.sleep(1000);
        rssHalf = brokerRss();
        establishedAtHalf = pending.stream().filter(LoadRunner::succeeded).count();
        long paused = System.nanoTime() - pauseStart;
        pausedNanos += paused;
        scheduleFrom += paused; // no catch-up burst after the pause
        deadline += paused;
      }
      long due = scheduleFrom + (long) (i * nanosPerConnect);
      long wait = due - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      if (!inFlight.tryAcquire(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        break;
      }
      BenchClient c = new BenchClient("b" + runId + "-c" + i, version, o.username, o.password);
      c.pinger = pinger;
      CompletableFuture<BenchClient> f = connect(c, o.host, o.port, o.keepAliveSeconds);
      f.whenComplete((x, e) -> inFlight.release());
      pending.add(f);
    }
    awaitAll(pending, deadline);
    long established = pending.stream().filter(LoadRunner::succeeded).count();
    long failed = pending.size() - established;
    long lastConnack = System.nanoTime();
    Thread.sleep(1000); // let the broker settle before reading its RSS
    long cpuAfter = ProcStats.cpuMicros(o.brokerPid);
    long rssAfter = brokerRss();
    if (o.holdSeconds > 0) {
      System.err.printf(
          "conn-storm: %d connections open, holding them %.0f s%n", established, o.holdSeconds);
      Thread.sleep((long) (o.holdSeconds * 1000));
    }
    // every established connection should still be open (e.g. not closed for a missed ping)
    long lost = 0;
    for (CompletableFuture<BenchClient> f : pending) {
      if (succeeded(f)) {
        Channel ch = f.join().channel;
        if (ch == null || !ch.isActive()) {
          lost++;
        }
      }
    }
    double seconds = (lastConnack - t0 - pausedNanos) / 1e9;
    double perConn =
        rssBefore > 0 && rssAfter > 0 && established > 0
            ? (double) (rssAfter - rssBefore) / established
            : -1;
    double marginal =
        rssHalf > 0 && rssAfter > 0 && established > establishedAtHalf
            ? (double) (rssAfter - rssHalf) / (established - establishedAtHalf)
            : -1;
    double cpuPerConnect =
        cpuBefore >= 0 && cpuAfter >= 0 && established > 0
            ? (double) (cpuAfter - cpuBefore) / established
            : -1;
    String error = null;
    if (pending.size() < o.connections) {
      error = String.format(
          Locale.ROOT,
          "opened only %d of %d connections in %.0f s (broker too slow for the deadline)",
          pending.size(), o.connections, window);
    } else if (failed > 0) {
      error = failed + " connections failed; first: " + firstFailure(pending);
    } else if (lost > 0) {
      String why = clientErrors();
      error = lost + " of " + established + " connections closed before the end"
          + (why == null ? "" : "; " + why);
    }
    return new LoadResult(
        o.scenario.label(), o.label, protocolLabel(), 0, 0, 0, 0,
        clients.size(), seconds, o.connectRate, 0, 0, 0, 0, -1, -1, -1, -1, 0, 0, 0,
        -1, established, established / Math.max(seconds, 1e-9), rssBefore, rssAfter,
        perConn, cpuPerConnect, failed, o.keepAliveSeconds, establishedAtHalf, rssHalf, marginal,
        pinger == null ? 0 : pinger.pingsSent(), pinger == null ? 0 : pinger.pongsReceived(),
        error);
  }

  /**
   * Opens and closes {@code --warmup-connections} connections in waves of at most {@value
   * #WARMUP_WAVE}, then waits 1 s: the broker compiles its connect path and sizes its buffer pools,
   * while holding few connections at a time, so the warm-up leaves little freed heap behind for
   * the measured connections to reuse.
   */
  private void warmUpConnections() throws InterruptedException {
    long deadline = System.nanoTime() + (long) (SLOW_BROKER_SECONDS * 1e9);
    for (int opened = 0; opened < o.warmupConnections; ) {
      int wave = Math.min(WARMUP_WAVE, o.warmupConnections - opened);
      List<CompletableFuture<BenchClient>> warm = new ArrayList<>();
      for (int i = 0; i < wave; i++, opened++) {
        BenchClient w =
            new BenchClient("b" + runId + "-w" + opened, version, o.username, o.password);
        warm.add(connect(w, o.host, o.port, 0));
      }
      awaitAll(warm, deadline);
      closeClients();
      synchronized (clients) {
        clients.clear();
      }
    }
    if (o.warmupConnections > 0) {
      Thread.sleep(1000);
    }
  }

  /** Waits until every one is complete, up to the deadline plus the connect timeout. */
  private static void awaitAll(List<CompletableFuture<BenchClient>> pending, long deadline) {
    long until = deadline + CONNECT_TIMEOUT_MS * 1_000_000;
    for (CompletableFuture<BenchClient> f : pending) {
      try {
        f.get(Math.max(1, until - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (Exception e) {
        // counted by the caller
      }
    }
  }

  private static boolean succeeded(CompletableFuture<BenchClient> f) {
    return f.isDone() && !f.isCompletedExceptionally();
  }

  /**
   * Fails with a clear message, instead of "Too many open files" half way through, when this
   * process cannot hold {@code connections} more sockets (one fd each, plus a few for the JDK).
   */
  private static void checkFileDescriptors(int connections) {
    long limit = ProcStats.openFileLimit();
    long open = ProcStats.openFileCount();
    long spare = 64;
    if (limit > 0 && open >= 0 && open + connections + spare > limit) {
      throw new IllegalStateException(
          "--connections " + connections + " needs " + connections + " sockets, but this process"
              + " has " + open + " files open and may open " + limit + " (ulimit -n); at most "
              + Math.max(0, limit - open - spare) + " connections fit");
    }
  }

  /** The broker's RSS, after a full GC when {@code --broker-gc} asks for one. */
  private long brokerRss() throws InterruptedException {
    if (o.brokerGc && o.brokerPid > 0) {
      ProcStats.requestJvmGc(o.brokerPid);
    }
    return ProcStats.rssBytes(o.brokerPid);
  }

  private static String firstFailure(List<CompletableFuture<BenchClient>> pending) {
    for (CompletableFuture<BenchClient> f : pending) {
      if (f.isCompletedExceptionally()) {
        try {
          f.join();
        } catch (Exception e) {
          return String.valueOf(e.getCause() != null ? e.getCause() : e);
        }
      }
    }
    return "?";
  }

  // ---------------------------------------------------------------- connections

  private CompletableFuture<BenchClient> connect(
      BenchClient client, String host, int port, int keepAlive) {
    synchronized (clients) {
      clients.add(client);
    }
    Bootstrap b =
        bootstrap
            .clone()
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    MqttEncoder encoder = new MqttEncoder();
                    encoder.setVersion(version);
                    transport.addTo(ch.pipeline(), host, port,
                        () -> ch.writeAndFlush(client.connectPacket(keepAlive)));
                    ch.pipeline()
                        .addLast("decoder", MqttDecoder.forClient(version, 268_435_460))
                        .addLast("encoder", encoder)
                        .addLast("client", client);
                  }
                });
    ChannelFuture cf = o.bindAddress == null
        ? b.connect(host, port)
        : b.connect(new InetSocketAddress(host, port), new InetSocketAddress(o.bindAddress, 0));
    cf.addListener(
        f -> {
          if (f.isSuccess()) {
            if (!transport.webSocket()) {
              cf.channel().writeAndFlush(client.connectPacket(keepAlive));
            }
          } else {
            client.connected.completeExceptionally(f.cause());
            client.closed.complete(null);
          }
        });
    return client.connected;
  }

  /**
   * Connects all of them at once (keep alive 0) and waits for each CONNACK, up to the connect
   * timeout each; returns them in order.
   */
  private List<BenchClient> connectAll(List<BenchClient> toConnect, String host, int port)
      throws Exception {
    List<CompletableFuture<BenchClient>> pending = new ArrayList<>();
    for (BenchClient c : toConnect) {
      pending.add(connect(c, host, port, 0));
    }
    List<BenchClient> connected = new ArrayList<>();
    for (CompletableFuture<BenchClient> f : pending) {
      connected.add(f.get(CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS));
    }
    return connected;
  }

  private void closeClients() throws InterruptedException {
    List<BenchClient> all;
    synchronized (clients) {
      all = new ArrayList<>(clients);
    }
    MqttPacket.Disconnect bye = new MqttPacket.Disconnect(0, MqttProperties.empty());
    for (BenchClient c : all) {
      Channel ch = c.channel;
      if (ch != null && ch.isActive()) {
        ch.writeAndFlush(bye).addListener(f -> ch.close());
      } else if (ch != null) {
        ch.close();
      }
    }
    long deadline = System.nanoTime() + 10_000_000_000L;
    for (BenchClient c : all) {
      if (c.channel == null) {
        continue;
      }
      try {
        c.closed.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (Exception e) {
        c.channel.close();
      }
    }
    // the channel closes ran on the event loops; this hop makes their writes visible here
    for (BenchClient c : all) {
      if (c.channel != null) {
        try {
          c.channel.eventLoop().submit(() -> {}).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
          // the loop is gone: nothing left to publish
        }
      }
    }
  }

  private void closeAll() throws InterruptedException {
    if (pinger != null) {
      pinger.stop();
    }
    closeClients();
    if (loops != null) {
      loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }
  }

  private String clientErrors() {
    int disconnected = 0;
    String first = null;
    for (BenchClient c : clients) {
      if (c.error != null && first == null) {
        first = c.clientId + ": " + c.error;
      }
      if (c.disconnectReason > 0) {
        disconnected++;
        if (first == null) {
          first = c.clientId + ": DISCONNECT from broker, reason 0x" + Integer.toHexString(c.disconnectReason);
        }
      }
    }
    return first == null ? null : (disconnected > 0 ? disconnected + " disconnected by broker; " : "") + first;
  }

  private LoadResult failed(Exception e) {
    Throwable t = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
    return new LoadResult(
        o.scenario.label(), o.label, protocolLabel(), o.qos, o.payload,
        o.publisherCount(), o.subscriberCount(), clients.size(), 0, o.rate, 0, 0, 0, 0, -1, -1, -1,
        -1, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1,
        o.scenario == Scenario.CONN_STORM ? o.keepAliveSeconds : 0, -1, -1, -1, -1, -1,
        String.valueOf(t));
  }

  /** The protocol as the result names it: "5" or "3.1.1". */
  private String protocolLabel() {
    return version == MqttVersion.MQTT_5 ? "5" : "3.1.1";
  }

  private static void sleepUntil(long nanos, List<Publisher> pubs) throws InterruptedException {
    while (System.nanoTime() < nanos && !pubs.stream().allMatch(p -> p.done.isDone())) {
      TimeUnit.NANOSECONDS.sleep(Math.min(10_000_000L, Math.max(0, nanos - System.nanoTime())));
    }
  }

  private static int[] range(int n) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    return a;
  }
}

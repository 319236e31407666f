package io.simqtt.bench;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.simqtt.core.codec.MqttPacket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Keeps held connections alive: one PINGREQ per connection and keep-alive interval, sent by one
 * periodic sweep per client event loop over the connections on that loop (no timer per
 * connection, so tens of thousands of connections cost the load tool one task per loop). A
 * connection's first PINGREQ is due one interval after its CONNACK, so the pings are spread like
 * the connects were. The sweep runs every tenth of the interval (at least every 100 ms, at most
 * every second): a PINGREQ goes out at most that late, well within the broker's 1.5 x keep alive.
 */
final class KeepAlivePinger {
  private final Map<EventLoop, Loop> loops = new ConcurrentHashMap<>();
  private volatile boolean stopped;

  /** The connections of one event loop; touched only on that loop, except the counters' reads. */
  static final class Loop {
    private final EventLoop eventLoop;
    private final List<BenchClient> clients = new ArrayList<>();
    private ScheduledFuture<?> sweep;
    private long sweepNanos = Long.MAX_VALUE;
    volatile long pingsSent;
    volatile long pongsReceived;

    private Loop(EventLoop eventLoop) {
      this.eventLoop = eventLoop;
    }

    private void add(BenchClient c, long intervalNanos) {
      c.pingIntervalNanos = intervalNanos;
      c.nextPingNanos = System.nanoTime() + intervalNanos;
      clients.add(c);
      long wanted = Math.max(100_000_000L, Math.min(1_000_000_000L, intervalNanos / 10));
      if (wanted < sweepNanos) { // first client, or one with a shorter (server) keep alive
        if (sweep != null) {
          sweep.cancel(false);
        }
        sweepNanos = wanted;
        sweep = eventLoop.scheduleAtFixedRate(this::sweep, wanted, wanted, TimeUnit.NANOSECONDS);
      }
    }

    private void sweep() {
      long now = System.nanoTime();
      long sent = 0;
      for (int i = clients.size() - 1; i >= 0; i--) {
        BenchClient c = clients.get(i);
        Channel ch = c.channel;
        if (ch == null || !ch.isActive()) { // closed: swap-remove
          int last = clients.size() - 1;
          clients.set(i, clients.get(last));
          clients.remove(last);
        } else if (now - c.nextPingNanos >= 0) {
          ch.writeAndFlush(MqttPacket.PingReq.INSTANCE, ch.voidPromise());
          c.nextPingNanos = now + c.pingIntervalNanos;
          sent++;
        }
      }
      if (sent > 0) {
        pingsSent += sent; // single writer: this loop
      }
    }

    /** Called on this loop by the client's handler. */
    void onPingResp() {
      pongsReceived++; // single writer: this loop
    }

    private void cancel() {
      if (sweep != null) {
        sweep.cancel(false);
      }
    }
  }

  /**
   * Starts pinging {@code c} every {@code keepAliveSeconds} (> 0). Call on the client's event
   * loop, after its CONNACK.
   */
  void add(BenchClient c, int keepAliveSeconds) {
    Channel ch = c.channel;
    if (stopped || ch == null || keepAliveSeconds <= 0) {
      return;
    }
    EventLoop el = ch.eventLoop();
    Loop loop = loops.computeIfAbsent(el, Loop::new);
    c.pingLoop = loop;
    loop.add(c, TimeUnit.SECONDS.toNanos(keepAliveSeconds));
  }

  long pingsSent() {
    return loops.values().stream().mapToLong(l -> l.pingsSent).sum();
  }

  long pongsReceived() {
    return loops.values().stream().mapToLong(l -> l.pongsReceived).sum();
  }

  /** Stops every sweep (before the connections are closed). */
  void stop() {
    stopped = true;
    for (Loop l : loops.values()) {
      try {
        l.eventLoop.execute(l::cancel);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // the loop is shutting down, which cancels its scheduled tasks
      }
    }
  }
}

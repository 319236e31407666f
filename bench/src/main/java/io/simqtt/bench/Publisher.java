package io.simqtt.bench;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Publishes from one connection, entirely on that connection's event loop: a batch while the
 * channel is writable (and, for QoS >= 1, while fewer than the window are unacknowledged), one
 * flush per batch, then yields to I/O. With a rate it sends what is due and sleeps until the next
 * message is due. Stops at its count or its deadline, whichever comes first.
 */
final class Publisher implements Runnable {
  private static final int BATCH = 256;

  final int index;
  private final BenchClient client;
  private final PublishTemplate[] templates;
  private final int qos;
  private final long maxCount;
  private final double msgsPerNano; // 0 = unlimited
  private final int window;
  private final int resumeAt;
  private final boolean[] inUse = new boolean[65536];
  private int nextId = 1;
  private int inflight;
  private long startNanos;
  private long stopAtNanos;
  private boolean stopped;
  private boolean pending;
  private boolean timerPending;

  /** Publishes written. */
  volatile long sent;
  /** QoS >= 1: publishes the broker refused (reason code >= 0x80). */
  volatile long refused;
  final CompletableFuture<Void> done = new CompletableFuture<>();

  Publisher(
      int index,
      BenchClient client,
      PublishTemplate[] templates,
      int qos,
      long maxCount,
      double ratePerSecond,
      int window) {
    this.index = index;
    this.client = client;
    this.templates = templates;
    this.qos = qos;
    this.maxCount = Math.min(maxCount, Integer.MAX_VALUE);
    this.msgsPerNano = ratePerSecond / 1e9;
    this.window = Math.max(1, Math.min(window, 65535));
    this.resumeAt = this.window - Math.max(1, this.window / 4);
  }

  /** Starts publishing now, for at most {@code runNanos}. */
  void start(long runNanos) {
    EventLoop loop = client.channel.eventLoop();
    loop.execute(
        () -> {
          startNanos = System.nanoTime();
          stopAtNanos = startNanos + runNanos;
          loop.schedule(this::wake, runNanos, TimeUnit.NANOSECONDS);
          run();
        });
  }

  void wake() {
    EventLoop loop = client.channel.eventLoop();
    if (loop.inEventLoop()) {
      if (!pending) {
        pending = true;
        loop.execute(this);
      }
    } else {
      loop.execute(this::wake);
    }
  }

  @Override
  public void run() {
    pending = false;
    if (stopped) {
      return;
    }
    Channel ch = client.channel;
    long now = System.nanoTime();
    long seq = sent;
    if (now >= stopAtNanos || seq >= maxCount || !ch.isActive()) {
      stop();
      return;
    }
    long allowed =
        msgsPerNano > 0 ? Math.min(maxCount, (long) ((now - startNanos) * msgsPerNano) + 1) : maxCount;
    int n = 0;
    while (seq < allowed && n < BATCH && ch.isWritable() && (qos == 0 || inflight < window)) {
      int id = 0;
      if (qos > 0) {
        id = takeId();
        inflight++;
      }
      PublishTemplate t = templates[(int) (seq % templates.length)];
      ch.write(t.encode(ch.alloc(), id, System.nanoTime(), (int) seq, index), ch.voidPromise());
      seq++;
      n++;
    }
    sent = seq;
    if (n > 0) {
      ch.flush();
    }
    if (seq >= maxCount) {
      stop();
    } else if (msgsPerNano > 0 && seq >= allowed) {
      if (!timerPending) {
        timerPending = true;
        long dueIn = (long) ((seq) / msgsPerNano) - (System.nanoTime() - startNanos);
        ch.eventLoop()
            .schedule(
                () -> {
                  timerPending = false;
                  wake();
                },
                Math.max(1_000, dueIn),
                TimeUnit.NANOSECONDS);
      }
    } else if (ch.isWritable() && (qos == 0 || inflight < window)) {
      wake();
    }
    // else: woken by channelWritabilityChanged or onAck
  }

  private int takeId() {
    while (inUse[nextId]) {
      nextId = nextId == 65535 ? 1 : nextId + 1;
    }
    int id = nextId;
    inUse[id] = true;
    nextId = nextId == 65535 ? 1 : nextId + 1;
    return id;
  }

  void onAck(int packetId, int reasonCode) {
    if (packetId <= 0 || !inUse[packetId]) {
      return;
    }
    inUse[packetId] = false;
    inflight--;
    if (reasonCode >= 0x80) {
      refused++;
    }
    if (stopped) {
      if (inflight == 0) {
        done.complete(null);
      }
    } else if (inflight == resumeAt) {
      // it stopped at a full window; refill in batches rather than one publish per ack
      wake();
    }
  }

  private void stop() {
    if (!stopped) {
      stopped = true;
      if (qos == 0 || inflight == 0) {
        done.complete(null);
      }
    }
  }

  void onClosed() {
    stopped = true;
    done.complete(null);
  }
}

package io.simqtt.core.protocol;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.simqtt.core.overload.HeapGuard;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The MQTT connections of one event loop and the work done for all of them at once: one timer
 * checks every connection's deadline (the CONNECT timeout, keep alive, the linger after the
 * server's last packet), and one task per loop turn flushes every connection written to since the
 * last. Confined to the loop's thread, except for the methods that say otherwise.
 *
 * <p>Why not Netty's per-channel handlers ({@code IdleStateHandler}, a scheduled timeout, {@code
 * FlushConsolidationHandler}): each costs a handler, its pipeline context and a timer task on every
 * connection, a fifth of what an idle connection costs in all (docs/BENCHMARKS.md, "Memory per
 * idle connection"), while a sweep costs about 90 ns per connection every {@value #SWEEP_MILLIS}
 * ms (measured: 19,000 idle connections, 0.7% of a core).
 */
public final class LoopConnections {
  /** How often deadlines are checked: a keep alive ends at most two sweeps late, never early. */
  static final long SWEEP_MILLIS = 250;

  private static final int INITIAL_CAPACITY = 64;

  private final ProtocolContext context;
  private final ConnectNegotiator negotiator;
  private final EventLoop loop;
  private final HeapGuard heapGuard;
  private final long connectTimeoutNanos;
  private final Runnable flushTask = this::flushWritten;

  private MqttConnection[] members = new MqttConnection[INITIAL_CAPACITY];
  private int size;
  /** Connections written to since the last flush; each at most once (its flushPending flag). */
  private MqttConnection[] written = new MqttConnection[INITIAL_CAPACITY];
  private int writtenCount;
  private ScheduledFuture<?> sweeper;

  public LoopConnections(ProtocolContext context, EventLoop loop, HeapGuard heapGuard) {
    this.context = context;
    this.negotiator = new ConnectNegotiator(context.settings());
    this.loop = loop;
    this.heapGuard = heapGuard;
    this.connectTimeoutNanos = context.settings().limits().connectTimeout().toNanos();
  }

  ProtocolContext context() {
    return context;
  }

  ConnectNegotiator negotiator() {
    return negotiator;
  }

  EventLoop loop() {
    return loop;
  }

  long connectTimeoutNanos() {
    return connectTimeoutNanos;
  }

  /** Whether the heap guard wants every connection to stop reading. */
  boolean heapGuardOn() {
    return heapGuard.active();
  }

  /** The heap guard turned on or off: each connection of this loop stops or resumes reading. */
  public void heapGuardChanged() {
    loop.execute(() -> {
      for (int i = size - 1; i >= 0; i--) {
        if (i < size) {
          members[i].updateReading();
        }
      }
    });
  }

  // ---- membership ----

  void add(MqttConnection c) {
    if (size == members.length) {
      members = Arrays.copyOf(members, size * 2);
    }
    c.rosterIndex = size;
    members[size++] = c;
    if (sweeper == null) {
      sweeper =
          loop.scheduleAtFixedRate(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
    }
  }

  void remove(MqttConnection c) {
    int i = c.rosterIndex;
    if (i < 0) {
      return;
    }
    MqttConnection last = members[--size];
    members[i] = last;
    last.rosterIndex = i;
    members[size] = null;
    c.rosterIndex = -1;
    if (members.length > INITIAL_CAPACITY && size < members.length / 4) {
      // A storm of connections that has passed should not pin its array.
      members = Arrays.copyOf(members, members.length / 2);
    }
  }

  private void sweep() {
    long now = System.nanoTime();
    // Backwards: a connection that closes now may leave the array before the loop moves on.
    for (int i = size - 1; i >= 0; i--) {
      if (i < size) {
        members[i].checkDeadline(now);
      }
    }
  }

  // ---- flushing ----

  /** Flushes {@code c} once the loop has finished its current turn. */
  void flushLater(MqttConnection c) {
    if (writtenCount == 0) {
      loop.execute(flushTask);
    }
    if (writtenCount == written.length) {
      written = Arrays.copyOf(written, writtenCount * 2);
    }
    written[writtenCount++] = c;
  }

  private void flushWritten() {
    // A flush may make a channel writable again and so cause more writes, which append here.
    for (int i = 0; i < writtenCount; i++) {
      MqttConnection c = written[i];
      written[i] = null;
      c.flushNow();
    }
    writtenCount = 0;
  }

  // ---- shutdown, from any thread ----

  /** Closes every connection of this loop with {@code reasonCode}; returns when it has. */
  public void closeAll(int reasonCode, String reason) {
    forEachOnLoop(c -> c.close(reasonCode, reason));
  }

  /** Closes every remaining socket of this loop at once, without a DISCONNECT. */
  public void abortAll() {
    forEachOnLoop(MqttConnection::abort);
  }

  /** The number of connections on this loop now. */
  public int size() {
    return loop.inEventLoop() ? size : loop.submit(() -> size).syncUninterruptibly().getNow();
  }

  /** Runs {@code action} on the loop for each connection (a copy: closing one may remove it). */
  private void forEachOnLoop(Consumer<MqttConnection> action) {
    Runnable task =
        () -> {
          for (MqttConnection c : Arrays.copyOf(members, size)) {
            action.accept(c);
          }
        };
    if (loop.inEventLoop()) {
      task.run();
    } else {
      loop.submit(task).awaitUninterruptibly();
    }
  }
}

package io.simqtt.peer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A TCP proxy on 127.0.0.1 in front of one address (a node's peer port), for fault injection.
 * Each direction has a {@link Mode}; switching takes effect at once, for open connections too.
 *
 * <ul>
 *   <li>{@link Mode#PASS}: bytes go through.
 *   <li>{@link Mode#delay DELAY(ms)}: each chunk goes through that long after it was read.
 *   <li>{@link Mode#BLACK_HOLE}: connections stay open, bytes are read and discarded, nothing
 *       goes through, not even a close: what a SIGSTOPped or partitioned peer looks like (no
 *       RST, no FIN, just silence). New connections are accepted and then hear nothing.
 *   <li>{@link Mode#CUT}: every open connection is closed with a RST and new ones are refused
 *       (accepted and reset at once): a crashed peer or a firewall that rejects.
 * </ul>
 *
 * <p>A connection that lost bytes in a black hole can never carry a valid HTTP/2 stream again,
 * so when that direction is healed (leaves BLACK_HOLE) it is reset, and its owner has to
 * reconnect, as after a partition long enough for TCP itself to give up.
 *
 * <p>Thread per direction and connection (a reader and a writer), each direction buffering at
 * most {@link #QUEUE_CHUNKS} chunks of {@link #CHUNK_BYTES}; a full buffer stops the reader, so
 * TCP flow control pushes back on the sender as a real network would.
 */
final class FaultProxy implements AutoCloseable {
  static final int CHUNK_BYTES = 16 * 1024;
  static final int QUEUE_CHUNKS = 64;

  /** Bytes from the connecting side to the target, and back. */
  enum Direction {
    UPSTREAM,
    DOWNSTREAM
  }

  enum Kind {
    PASS,
    DELAY,
    BLACK_HOLE,
    CUT
  }

  record Mode(Kind kind, long delayMillis) {
    static final Mode PASS = new Mode(Kind.PASS, 0);
    static final Mode BLACK_HOLE = new Mode(Kind.BLACK_HOLE, 0);
    static final Mode CUT = new Mode(Kind.CUT, 0);

    static Mode delay(long millis) {
      return new Mode(Kind.DELAY, millis);
    }

    @Override
    public String toString() {
      return kind == Kind.DELAY ? "DELAY(" + delayMillis + "ms)" : kind.name();
    }
  }

  private final String name;
  private final InetSocketAddress target;
  private final ServerSocket listener;
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  /** Guards mode changes; writers waiting out a delay wait on it and are woken by a change. */
  private final Object modeLock = new Object();
  private volatile Mode upstream = Mode.PASS;
  private volatile Mode downstream = Mode.PASS;
  private volatile boolean closed;

  /** Listens on 127.0.0.1 (a free port) and forwards to {@code target}. */
  FaultProxy(String name, InetSocketAddress target) {
    this.name = name;
    this.target = target;
    try {
      listener = new ServerSocket(0, 50, InetAddress.getByName(ClusterFixture.HOST));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Thread acceptor = new Thread(this::acceptLoop, "fault-proxy-" + name + "-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return listener.getLocalPort();
  }

  String name() {
    return name;
  }

  Mode mode(Direction d) {
    return d == Direction.UPSTREAM ? upstream : downstream;
  }

  /** Sets both directions. */
  void mode(Mode m) {
    mode(Direction.UPSTREAM, m);
    mode(Direction.DOWNSTREAM, m);
  }

  /** Sets one direction; takes effect at once for open connections. */
  void mode(Direction d, Mode m) {
    Mode old;
    synchronized (modeLock) {
      old = mode(d);
      if (d == Direction.UPSTREAM) {
        upstream = m;
      } else {
        downstream = m;
      }
      modeLock.notifyAll();
    }
    if (m.kind() == Kind.CUT) {
      for (Connection c : List.copyOf(connections)) {
        c.close(true);
      }
    } else if (old.kind() == Kind.BLACK_HOLE && m.kind() != Kind.BLACK_HOLE) {
      for (Connection c : List.copyOf(connections)) {
        if (c.lostBytes(d)) {
          c.close(true);
        }
      }
    }
  }

  /** Open proxied connections. */
  int connectionCount() {
    return connections.size();
  }

  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    for (Connection c : List.copyOf(connections)) {
      c.close(true);
    }
  }

  @Override
  public String toString() {
    return "proxy " + name + " :" + port() + " -> " + target.getPort() + " up=" + upstream
        + " down=" + downstream + " connections=" + connections.size();
  }

  private boolean cut() {
    return upstream.kind() == Kind.CUT || downstream.kind() == Kind.CUT;
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return; // closed
      }
      if (cut()) {
        reset(client);
        continue;
      }
      Socket server = new Socket();
      try {
        server.connect(target, 2_000);
      } catch (IOException e) {
        // The target is down: the caller sees what it would see without the proxy.
        reset(client);
        closeQuietly(server);
        continue;
      }
      new Connection(client, server).start();
    }
  }

  private static void reset(Socket s) {
    try {
      s.setSoLinger(true, 0);
    } catch (IOException ignored) {
      // closing anyway
    }
    closeQuietly(s);
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  /** What travels through a pipe: bytes, or the source's close (FIN or RST) to pass on. */
  private enum ChunkKind {
    DATA,
    EOF,
    RESET
  }

  /** A chunk and when it was read, so a delay counts from its arrival. */
  private record Chunk(ChunkKind kind, byte[] bytes, long readAtNanos) {
    static Chunk end(ChunkKind kind) {
      return new Chunk(kind, null, System.nanoTime());
    }
  }

  /** One accepted connection and its connection to the target. */
  private final class Connection {
    private final Socket client;
    private final Socket server;
    private final AtomicBoolean isClosed = new AtomicBoolean();
    private final Pipe up;
    private final Pipe down;

    Connection(Socket client, Socket server) {
      this.client = client;
      this.server = server;
      this.up = new Pipe(this, Direction.UPSTREAM, client, server);
      this.down = new Pipe(this, Direction.DOWNSTREAM, server, client);
    }

    void start() {
      connections.add(this);
      if (closed || cut()) {
        close(true); // the mode changed while we were connecting
        return;
      }
      up.start();
      down.start();
    }

    boolean lostBytes(Direction d) {
      return (d == Direction.UPSTREAM ? up : down).lostBytes;
    }

    /** Closes both sides, with a RST when {@code reset}; the second call does nothing. */
    void close(boolean reset) {
      if (!isClosed.compareAndSet(false, true)) {
        return;
      }
      connections.remove(this);
      if (reset) {
        reset(client);
        reset(server);
      } else {
        closeQuietly(client);
        closeQuietly(server);
      }
      up.stop();
      down.stop();
    }
  }

  /** One direction of a connection: a reader thread feeding a bounded queue, a writer draining it. */
  private final class Pipe {
    private final Connection conn;
    private final Direction dir;
    private final Socket src;
    private final Socket dst;
    private final BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(QUEUE_CHUNKS);
    private final Thread reader;
    private final Thread writer;
    /** Bytes (or a close) were swallowed by a black hole: this stream is broken for good. */
    volatile boolean lostBytes;

    Pipe(Connection conn, Direction dir, Socket src, Socket dst) {
      this.conn = conn;
      this.dir = dir;
      this.src = src;
      this.dst = dst;
      String base = "fault-proxy-" + name + "-" + dir.name().toLowerCase();
      this.reader = new Thread(this::readLoop, base + "-read");
      this.writer = new Thread(this::writeLoop, base + "-write");
      reader.setDaemon(true);
      writer.setDaemon(true);
    }

    void start() {
      reader.start();
      writer.start();
    }

    void stop() {
      reader.interrupt();
      writer.interrupt();
    }

    private boolean blackHoled() {
      return mode(dir).kind() == Kind.BLACK_HOLE;
    }

    private void readLoop() {
      byte[] buf = new byte[CHUNK_BYTES];
      try {
        InputStream in = src.getInputStream();
        while (true) {
          int n = in.read(buf);
          if (n < 0) {
            ended(Chunk.end(ChunkKind.EOF));
            return;
          }
          if (blackHoled()) {
            lostBytes = true;
            continue;
          }
          queue.put(new Chunk(ChunkKind.DATA, Arrays.copyOf(buf, n), System.nanoTime()));
        }
      } catch (IOException e) {
        ended(Chunk.end(ChunkKind.RESET));
      } catch (InterruptedException e) {
        // the connection is closed
      }
    }

    /** The source closed (or reset): pass it on, unless a black hole swallows it too. */
    private void ended(Chunk marker) {
      if (conn.isClosed.get()) {
        return;
      }
      if (blackHoled()) {
        lostBytes = true;
        return;
      }
      try {
        queue.put(marker);
      } catch (InterruptedException e) {
        // the connection is closed
      }
    }

    private void writeLoop() {
      try {
        OutputStream out = dst.getOutputStream();
        while (true) {
          Chunk c = queue.take();
          if (!awaitDue(c)) {
            lostBytes = true; // black-holed while it waited: dropped
            continue;
          }
          if (c.kind() != ChunkKind.DATA) {
            conn.close(c.kind() == ChunkKind.RESET);
            return;
          }
          out.write(c.bytes());
        }
      } catch (IOException e) {
        conn.close(true);
      } catch (InterruptedException e) {
        // the connection is closed
      }
    }

    /**
     * Waits until the chunk is due under the current mode (a mode change re-evaluates it);
     * false when the direction is black-holed meanwhile, i.e. the chunk must be dropped.
     */
    private boolean awaitDue(Chunk c) throws InterruptedException {
      synchronized (modeLock) {
        while (true) {
          Mode m = mode(dir);
          if (m.kind() == Kind.BLACK_HOLE) {
            return false;
          }
          long dueNanos = c.readAtNanos() + TimeUnit.MILLISECONDS.toNanos(
              m.kind() == Kind.DELAY ? m.delayMillis() : 0);
          long waitNanos = dueNanos - System.nanoTime();
          if (waitNanos <= 0) {
            return true;
          }
          TimeUnit.NANOSECONDS.timedWait(modeLock, waitNanos);
        }
      }
    }
  }
}

package io.simqtt.peer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * How the test JVM, in the root network namespace, reaches nodes that live in namespaces of their
 * own, without touching the root namespace's network: through Unix domain sockets, which are
 * named in the file system and so cross network namespaces.
 *
 * <p>Two halves, both plain byte pumps: this JVM listens on 127.0.0.1 (root namespace, port 0)
 * once per node and passes each connection to a socket file; a child JVM ({@link #main}, started
 * inside the clients' namespace) listens on those files and dials the node over the namespaces'
 * network. So a client's bytes to a node cross the bridge like a remote client's, and no fault
 * made for node-to-node links touches them. A close on one side becomes a close (FIN) on the
 * other; a reset arrives as a close, as does the end of the child.
 */
final class NamespacePortal implements AutoCloseable {
  private static final int BUFFER = 64 * 1024;
  private static final Pattern READY = Pattern.compile("portal ready");

  private final Path dir;
  private final ChildProcess inside;
  private final List<ServerSocketChannel> entrances = new ArrayList<>();

  private NamespacePortal(Path dir, ChildProcess inside) {
    this.dir = dir;
    this.inside = inside;
  }

  /**
   * Starts the inside half under {@code launcher} (e.g. {@code ip netns exec <clients>}), passing
   * to {@code targets} (host:port of each node, seen from there), and one entrance per target.
   */
  static NamespacePortal open(List<String> launcher, List<InetSocketAddress> targets)
      throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("simqtt-portal");
    List<String> args = new ArrayList<>(List.of(dir.toString()));
    for (InetSocketAddress t : targets) {
      args.add(t.getHostString() + ":" + t.getPort());
    }
    List<String> command = new ArrayList<>(launcher);
    command.addAll(ChildProcess.javaCommand(
        List.of("-Xmx64m"), NamespacePortal.class.getName(), args.toArray(String[]::new)));
    NamespacePortal p = new NamespacePortal(dir, ChildProcess.startWithInput(command));
    try {
      p.inside.awaitLine(READY, 30);
      for (int i = 0; i < targets.size(); i++) {
        Path socket = dir.resolve(i + ".sock");
        ServerSocketChannel entrance = ServerSocketChannel.open();
        entrance.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        p.entrances.add(entrance);
        accept(entrance, () -> {
          SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
          c.connect(UnixDomainSocketAddress.of(socket));
          return c;
        });
      }
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      p.close();
      throw e;
    }
    return p;
  }

  /** The port on 127.0.0.1 (root namespace) that leads to node {@code i}. */
  int port(int i) {
    try {
      return ((InetSocketAddress) entrances.get(i).getLocalAddress()).getPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    for (ServerSocketChannel e : entrances) {
      try {
        e.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    inside.terminate();
    try {
      inside.awaitExit(10);
    } catch (InterruptedException | AssertionError e) {
      inside.close();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException ignored) {
      // a temp directory
    }
  }

  /**
   * The inside half: {@code <dir> <host:port>...}; socket file {@code <dir>/<i>.sock} leads to the
   * i-th host:port. Ends when its standard input ends (the test JVM closed it or is gone).
   */
  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0]);
    for (int i = 1; i < args.length; i++) {
      String[] hostPort = args[i].split(":");
      InetSocketAddress target =
          new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1]));
      ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      listener.bind(UnixDomainSocketAddress.of(dir.resolve((i - 1) + ".sock")));
      accept(listener, () -> {
        SocketChannel c = SocketChannel.open();
        c.socket().connect(target, 10_000);
        return c;
      });
    }
    System.out.println("portal ready");
    while (System.in.read() >= 0) {
      // nothing is sent; end of file means the test JVM is done
    }
    System.exit(0);
  }

  /** Dials where an accepted connection goes; may throw. */
  private interface Dialer {
    SocketChannel dial() throws IOException;
  }

  private static void accept(ServerSocketChannel listener, Dialer dialer) {
    AtomicInteger count = new AtomicInteger();
    daemon("portal-accept", () -> {
      while (listener.isOpen()) {
        SocketChannel in;
        try {
          in = listener.accept();
        } catch (IOException closed) {
          return;
        }
        int id = count.incrementAndGet();
        daemon("portal-" + id, () -> {
          SocketChannel out;
          try {
            out = dialer.dial();
          } catch (IOException e) {
            closeQuietly(in); // the client sees its connection refused, after a fashion
            return;
          }
          AtomicInteger open = new AtomicInteger(2);
          daemon("portal-" + id + "-up", () -> pump(in, out, open));
          pump(out, in, open);
        });
      }
    });
  }

  /** Copies until end of file, then half-closes; closes both once both directions ended. */
  private static void pump(SocketChannel from, SocketChannel to, AtomicInteger open) {
    ByteBuffer buf = ByteBuffer.allocate(BUFFER);
    try {
      while (from.read(buf) >= 0) {
        buf.flip();
        while (buf.hasRemaining()) {
          to.write(buf);
        }
        buf.clear();
      }
      to.shutdownOutput();
      if (open.decrementAndGet() > 0) {
        return;
      }
    } catch (IOException e) {
      // a reset or a close on either side ends both directions
    }
    closeQuietly(from);
    closeQuietly(to);
  }

  private static void daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(SocketChannel c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // already closed
    }
  }
}
